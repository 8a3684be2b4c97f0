/**
 * Whether `text` names a character by `alias`, on word boundaries, case-insensitively
 * ("hey Stewie" yes, "Peterson" no). Pure: used by the bots and inside workflows.
 */
export function mentionsName(text: string, alias: string): boolean {
  const pattern = alias
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\s+/g, '\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${pattern}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

/**
 * How a character is called in text and shown in Discord: its roster name with `_` as spaces (a card's
 * "Glenn Quagmire" is the roster's Glenn_Quagmire, whose webhook posts are signed "Glenn Quagmire").
 */
export function displayName(rosterName: string): string {
  return rosterName.replace(/_/g, ' ');
}

/** A roster name: a letter, then letters, digits or _, at most 32 (it also names DISCORD_TOKEN_<NAME>). */
export const ROSTER_NAME_PATTERN = '[A-Za-z][A-Za-z0-9_]{0,31}';
export const ROSTER_NAME = new RegExp(`^${ROSTER_NAME_PATTERN}$`);

/** `aliases` lower-cased, trimmed, without repeats or blanks, the name first. */
export function normalisedAliases(name: string, aliases: string[]): string[] {
  return [...new Set([name, ...aliases].map((alias) => alias.trim().toLowerCase()).filter(Boolean))];
}
