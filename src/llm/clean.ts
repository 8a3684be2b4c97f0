/**
 * Turns raw model output into what the character says. Small local models often
 * label their line ("Peter: ...", "**Stewie:**"), wrap it in quotes, or carry on
 * writing the other characters' lines; all of that is removed here.
 */
export function cleanReply(raw: string, character: string, otherCharacters: string[]): string {
  let text = raw.replace(/\r\n/g, '\n').trim();
  const names = [character, ...otherCharacters].map(escapeRegExp).join('|');
  // "Peter:", "Peter Griffin:", "**Peter**:", "[Peter]", "(Peter):" at the very start.
  const own = escapeRegExp(character);
  const ownLabel = new RegExp(
    `^(?:[*_]{0,2}[\\[(]?${own}(?:\\s+griffin)?[\\])]?[*_]{0,2}\\s*[:\\-–]+[*_]{0,2}|\\[${own}\\])\\s*`,
    'i',
  );
  for (let previous = ''; previous !== text;) {
    previous = text;
    text = text.replace(ownLabel, '').trim();
  }
  // Stop where the model starts writing another speaker's line ("\nBrian: ...").
  const otherLine = new RegExp(
    `\\n\\s*[*_]{0,2}\\[?(?:${names}|user)(?:\\s+griffin)?\\]?[*_]{0,2}\\s*:`,
    'i',
  );
  const cut = text.search(otherLine);
  if (cut > 0) text = text.slice(0, cut).trim();
  // One pair of wrapping quotes.
  const quoted = /^["“](.*)["”]$/s.exec(text);
  if (quoted?.[1] && !/["“”]/.test(quoted[1])) text = quoted[1].trim();
  return text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
