/** Discord rejects messages over 2000 characters. */
export const DISCORD_MESSAGE_LIMIT = 2000;

/**
 * Where to cut, best first: paragraph, line, sentence end, then any space. A boundary
 * is only used if it keeps the part at least a quarter of the limit long, so a reply
 * is not shredded into tiny messages; nothing is ever dropped except the whitespace
 * at a cut.
 */
const BOUNDARIES = [/\n\s*\n/g, /\n/g, /[.!?…](?:["')\]]*)\s+/g, /\s+/g];

export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const cut = findCut(rest, limit);
    parts.push(rest.slice(0, cut.end).trimEnd());
    rest = rest.slice(cut.next).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function findCut(text: string, limit: number): { end: number; next: number } {
  const window = text.slice(0, limit + 1);
  for (const boundary of BOUNDARIES) {
    let best: { end: number; next: number } | undefined;
    for (const match of window.matchAll(boundary)) {
      // Keep the sentence's punctuation with it; the whitespace after is the cut.
      const punctuation = match[0].trimEnd().length;
      const end = match.index + punctuation;
      if (end > 0 && end <= limit) best = { end, next: match.index + match[0].length };
    }
    if (best && best.end >= limit / 4) return best;
  }
  return { end: limit, next: limit }; // one unbroken run longer than the limit: hard cut
}
