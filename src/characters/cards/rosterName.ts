import { cardFail } from './read';
import { MAX_NAME_CHARS } from './limits';

/**
 * The roster name a card's name becomes (it is also `bot_name` and DISCORD_TOKEN_<NAME>, so a letter
 * then letters, digits or _): accents dropped, every run of other characters one `_`, `_` trimmed at
 * both ends. "Glenn Quagmire" -> "Glenn_Quagmire", "Zoë" -> "Zoe", "Dr. Hartman" -> "Dr_Hartman". The
 * card's own spelling stays an alias, so people address the character as the card names it.
 */
export function rosterNameFor(cardName: string, where: string): string {
  const name = cardName
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_NAME_CHARS)
    .replace(/_+$/, '');
  if (!/^[A-Za-z]/.test(name)) {
    cardFail(
      where,
      `${JSON.stringify(cardName)} cannot become a roster name (it must start with a Latin letter, then letters, digits or _): rename the card`,
    );
  }
  return name;
}
