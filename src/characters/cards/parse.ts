/**
 * Reading a card file (PNG or JSON, Character Card V2 or V3) into what an import writes. Pure: the
 * whole card is checked before anything is returned, and anything wrong is a CardError.
 */
import type { CharacterImport } from '../profile';
import { CardError } from './errors';
import { MAX_CARD_FILE_BYTES, MAX_CARD_JSON_BYTES, MAX_JSON_DEPTH } from './limits';
import { cardToImport, type SpecCard } from './mapping';
import { isCardChunk, isPng, readPngChunks, readTextChunk, writePng, type PngChunk } from './png';
import { asObject, cardFail, describeJson, isJsonObject } from './read';

const SPECS = ['chara_card_v2', 'chara_card_v3'] as const;

/** A card file as uploaded: a PNG with a `ccv3` or `chara` tEXt chunk, or card JSON. */
export function parseCardFile(bytes: Buffer): CharacterImport {
  if (bytes.length > MAX_CARD_FILE_BYTES) {
    throw new CardError(`card: the file is ${bytes.length} bytes, at most ${MAX_CARD_FILE_BYTES}`);
  }
  if (isPng(bytes)) return parsePngCard(bytes);
  if (bytes.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    throw new CardError('card: .charx (zip) cards are not supported: export the card as PNG or JSON');
  }
  return parseCardJson(decodeUtf8(bytes, 'card: the file'));
}

/** Card JSON text (a `.json` card, or a parsed request body turned back into text). */
export function parseCardJson(json: string): CharacterImport {
  return cardToImport(readSpecCard(json), null);
}

function parsePngCard(bytes: Buffer): CharacterImport {
  const chunks = readPngChunks(bytes);
  const texts = chunks.flatMap((chunk, index) =>
    chunk.type === 'tEXt' ? [{ chunk, ...readTextChunk(chunk, `chunk tEXt #${index}`) }] : [],
  );
  // V3 says: with both, ccv3 wins.
  const card = texts.find((t) => t.keyword === 'ccv3') ?? texts.find((t) => t.keyword === 'chara');
  if (!card) throw new CardError('png: no character card in it (no ccv3 or chara tEXt chunk)');
  const json = decodeBase64Json(card.text, `png: chunk ${card.keyword}`);
  return cardToImport(readSpecCard(json), { mime: 'image/png', data: pngWithoutCard(chunks) });
}

/** The avatar: the card's PNG without the card data in it (Discord and browsers need only the image). */
function pngWithoutCard(chunks: PngChunk[]): Buffer {
  return writePng(chunks.filter((chunk) => !isCardChunk(chunk)));
}

function decodeBase64Json(payload: string, where: string): string {
  const base64 = payload.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw new CardError(`${where}: not base64`);
  }
  if (Math.floor((base64.length * 3) / 4) > MAX_CARD_JSON_BYTES + 2) {
    throw new CardError(`${where}: the card JSON is over ${MAX_CARD_JSON_BYTES} bytes`);
  }
  return decodeUtf8(Buffer.from(base64, 'base64'), where);
}

function decodeUtf8(bytes: Buffer, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CardError(`${where}: not UTF-8 text`);
  }
}

function readSpecCard(json: string): SpecCard {
  const text = json.replace(/^\uFEFF/, '');
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_CARD_JSON_BYTES) {
    throw new CardError(`card: the JSON is ${size} bytes, at most ${MAX_CARD_JSON_BYTES}`);
  }
  if (!text.trimStart().startsWith('{')) {
    throw new CardError('card: not a card: expected a JSON object (with "spec" and "data") or a PNG');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CardError(`card: malformed JSON (${(err as Error).message})`);
  }
  refuseHazards(parsed, '', 0);
  const card = asObject(parsed, 'the card');
  return { spec: readSpec(card), spec_version: readSpecVersion(card), data: asObject(card.data, 'data') };
}

function readSpec(card: Record<string, unknown>): SpecCard['spec'] {
  const spec = card.spec;
  if (spec === undefined && typeof card.name === 'string') {
    cardFail(
      'spec',
      'missing: this looks like a V1 card, which is not supported (save it as V2 or V3 first)',
    );
  }
  if (!SPECS.includes(spec as SpecCard['spec'])) {
    cardFail('spec', `expected "chara_card_v2" or "chara_card_v3", got ${JSON.stringify(spec) ?? 'nothing'}`);
  }
  return spec as SpecCard['spec'];
}

function readSpecVersion(card: Record<string, unknown>): string {
  const version = card.spec_version ?? (card.spec === 'chara_card_v3' ? '3.0' : '2.0');
  if (typeof version !== 'string' && typeof version !== 'number') {
    cardFail('spec_version', `expected a string, got ${describeJson(version)}`);
  }
  return String(version);
}

/**
 * Refused anywhere in the card: `__proto__` keys (a prototype-pollution vector wherever the card's
 * objects are merged later), keys MongoDB cannot store (a leading `$`, a `.`: kept data is stored as
 * it is, and failing there would fail the import late), and nesting deeper than MAX_JSON_DEPTH.
 */
function refuseHazards(value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) cardFail(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) {
    value.forEach((item, index) => refuseHazards(item, `${path}[${index}]`, depth + 1));
  } else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = `${path}${path === '' ? '' : '.'}${key}`;
      if (key === '__proto__') cardFail(keyPath, 'the key "__proto__" is not allowed');
      if (key.startsWith('$') || key.includes('.')) {
        cardFail(`${path}[${JSON.stringify(key)}]`, 'a key with a "." or a leading "$" cannot be stored');
      }
      refuseHazards(item, keyPath, depth + 1);
    }
  }
}
