/**
 * The macros character cards use (Character Card V2/V3, SillyTavern): `{{char}}` and `<BOT>` for the
 * character's name, `{{user}}` and `<USER>` for whoever it talks to, any case. No others are
 * resolved: a card's other macros stay as they are.
 */
const MACRO = /\{\{(char|user)\}\}|<(bot|user)>/gi;

/** Longest name put in for a macro (Discord's display names are at most 32 characters). */
export const MAX_MACRO_VALUE_CHARS = 100;
/**
 * Most characters macros may add to a text. Past it the remaining macros are left as written: a
 * card repeating `{{char}}` ten thousand times cannot blow the prompt up, and the text's end (where
 * a character prompt keeps its HARD RULES) is never cut off.
 */
export const MAX_MACRO_GROWTH_CHARS = 2000;

export interface MacroValues {
  char: string;
  user: string;
}

export function resolveMacros(text: string, values: MacroValues): string {
  const char = shortened(values.char);
  const user = shortened(values.user);
  let growth = 0;
  return text.replace(MACRO, (macro: string, braced: string | undefined, angled: string | undefined) => {
    const name = (braced ?? angled ?? '').toLowerCase() === 'user' ? user : char;
    if (growth + name.length - macro.length > MAX_MACRO_GROWTH_CHARS) return macro;
    growth += name.length - macro.length;
    return name;
  });
}

/** At most MAX_MACRO_VALUE_CHARS characters, a surrogate pair never split. */
function shortened(value: string): string {
  return Array.from(value).slice(0, MAX_MACRO_VALUE_CHARS).join('');
}
