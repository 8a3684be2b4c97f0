import { parseJsonObject } from './json';
import type { ChatMessage, JsonSchema } from './ollamaChat';
import { resolveMacros } from './macros';
import {
  boundedHistory,
  boundedText,
  MAX_PROMPT_MESSAGE_CHARS,
  replyMacroValues,
  type ReplyPrompt,
} from './prompt';

/** How many earlier lines the reviewer sees: enough to judge fit, short enough to stay cheap. */
const QC_HISTORY_LINES = 4;
/** The character sheet is long; the reviewer needs its gist. */
const QC_CHARACTER_SHEET_CHARS = 3000;
const MAX_JUSTIFICATION_CHARS = 1000;

export const QC_SYSTEM_INTRO = 'You are the quality reviewer of a Family Guy role-play Discord bot.';

export interface QcVerdict {
  score: number;
  justification: string;
}

/** The verdict's shape, given to Ollama as its structured-output format. */
export const QC_VERDICT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    score: { type: 'integer', enum: [1, 2, 3, 4, 5] },
    justification: { type: 'string', minLength: 1, maxLength: 300 },
  },
  required: ['score', 'justification'],
};

/**
 * The assessment prompt (the design document's "QC Prompt B"), weighted as the original
 * system's was: speech patterns 25%, personality 25%, character knowledge 20%, humour
 * 20%, fit to the conversation 10%. The answer is asked for as JSON so it can be parsed
 * strictly.
 */
export function buildQcMessages(prompt: ReplyPrompt, candidate: string): ChatMessage[] {
  const recent = boundedHistory(prompt.history.slice(-QC_HISTORY_LINES))
    .map(
      (turn) =>
        `${turn.speaker_type === 'BOT' ? (turn.bot_name ?? 'Someone') : 'User'}: ${turn.message_content}`,
    )
    .join('\n');
  return [
    {
      role: 'system',
      content:
        `${QC_SYSTEM_INTRO} Rate how well a reply stays in character as ${prompt.character}.\n` +
        `Weigh: speech patterns and catchphrases 25%, personality 25%, character knowledge 20%, ` +
        `humour 20%, fit to the conversation 10%. Penalise: talking about ${prompt.character} in the third person, ` +
        `a "${prompt.character}:" label, *stage directions*, speaking as another character, rambling, ` +
        `repeating itself, or mentioning being an AI.\n` +
        `Answer with JSON only: {"score": <integer 1-5>, "justification": "<one or two sentences>"}.\n\n` +
        `CHARACTER SHEET:\n${resolveMacros(prompt.systemPrompt, replyMacroValues(prompt)).slice(0, QC_CHARACTER_SHEET_CHARS)}`,
    },
    {
      role: 'user',
      content:
        (recent ? `EARLIER:\n${recent}\n\n` : '') +
        `MESSAGE:\n${boundedText(prompt.userMessage, MAX_PROMPT_MESSAGE_CHARS)}\n\n` +
        `REPLY BY ${prompt.character.toUpperCase()}:\n${boundedText(candidate, MAX_PROMPT_MESSAGE_CHARS)}`,
    },
  ];
}

/**
 * Reads the reviewer's verdict: one JSON object (a ```json fence around it is tolerated)
 * with an integer score 1-5 and a non-empty justification. Anything else is null, and
 * the caller falls back to the rule checks.
 */
export function parseQcVerdict(raw: string): QcVerdict | null {
  const parsed = parseJsonObject(raw);
  if (!parsed) return null;
  const { score, justification } = parsed;
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5) return null;
  if (typeof justification !== 'string' || justification.trim() === '') return null;
  return { score, justification: justification.trim().slice(0, MAX_JUSTIFICATION_CHARS) };
}
