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
