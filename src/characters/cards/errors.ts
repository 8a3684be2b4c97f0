/**
 * Why a card file was refused. The message says what and where, e.g.
 * `card: data.name: expected a non-empty string` or `png: chunk IHDR at byte 8: CRC mismatch`:
 * the admin API answers it as a 400 and the CLI prints it, so it must make sense on its own.
 */
export class CardError extends Error {
  override readonly name = 'CardError';
}
