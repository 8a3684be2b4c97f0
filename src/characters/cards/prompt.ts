/**
 * The prompt text a card's fields make: the card's system_prompt (or our one-line intro), a labelled
 * section per non-empty field, then the project's HARD RULES last, so nothing a card says comes after
 * them. {{char}} and {{user}} stay: they are resolved when a reply's prompt is built.
 */
import type { CardPromptFields } from '../profile';
import { SHARED_RULES } from '../builtin';

export const DEFAULT_CARD_INTRO = 'You are {{char}}, chatting in a Discord channel.';

const SECTIONS: ReadonlyArray<[keyof CardPromptFields, string]> = [
  ['description', 'DESCRIPTION'],
  ['personality', 'PERSONALITY'],
  ['scenario', 'SCENARIO'],
  ['mes_example', 'EXAMPLE MESSAGES'],
  ['post_history_instructions', 'ALWAYS'],
];

export function composeCardPrompt(fields: CardPromptFields): string {
  const intro = cardIntro(fields.system_prompt);
  const sections = SECTIONS.filter(([field]) => fields[field].trim() !== '').map(
    ([field, label]) => `${label}:\n${fields[field].trim()}`,
  );
  // A prompt exported with our rules at its end (a built-in's, say) comes back as it was when the
  // card adds nothing to it, and keeps the rules last and only once when it does.
  if (!intro.endsWith(SHARED_RULES)) return [intro, ...sections, SHARED_RULES].join('\n\n');
  if (sections.length === 0) return intro;
  const head = intro.slice(0, -SHARED_RULES.length).trimEnd();
  return [head, ...sections, SHARED_RULES].filter((part) => part !== '').join('\n\n');
}

/** V2's `{{original}}` in a system_prompt stands for the application's own default: our intro. */
function cardIntro(systemPrompt: string): string {
  const prompt = systemPrompt.trim();
  return prompt === '' ? DEFAULT_CARD_INTRO : prompt.replace(/\{\{original\}\}/gi, DEFAULT_CARD_INTRO);
}
