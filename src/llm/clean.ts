/**
 * Turns raw model output into what the character says. Small local models often
 * label their line ("Peter: ...", "**Stewie:**"), wrap it in quotes, or carry on
 * writing the other characters' lines; all of that is removed here.
 */
export function cleanReply(
  raw: string,
  character: string,
  otherCharacters: string[],
  /** The model was stopped by the token limit: its unfinished last sentence is dropped. */
  cutOff = false,
): string {
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
  else if (cutOff) text = withoutUnfinishedSentence(text);
  // One pair of wrapping quotes.
  const quoted = /^["“](.*)["”]$/s.exec(text);
  if (quoted?.[1] && !/["“”]/.test(quoted[1])) text = quoted[1].trim();
  return text;
}

/**
 * Ends the text at its last complete sentence (., !, ? or …, with any closing quote or bracket), when one
 * ends past a third of it; otherwise ends it at the last whole word with an ellipsis.
 */
function withoutUnfinishedSentence(text: string): string {
  let end = -1;
  for (const match of text.matchAll(/[.!?…]+["'”’)\]]*(?=\s|$)/g)) end = match.index + match[0].length;
  if (end > text.length / 3) return text.slice(0, end).trim();
  const lastSpace = text.trimEnd().lastIndexOf(' ');
  return lastSpace > 0 ? `${text.slice(0, lastSpace).replace(/[\s,;:–-]+$/, '')}…` : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
