/**
 * The PNG container, as far as cards need it (PNG spec, section 5): the chunk list, checked (lengths,
 * CRCs, IHDR first, IEND present), tEXt chunks read and written, and a small placeholder image for a
 * character without a PNG avatar. Errors start with `png:` and give the chunk and its byte offset.
 */
import { crc32, deflateSync } from 'node:zlib';
import { CardError } from './errors';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Length, type and CRC around each chunk's data. */
const CHUNK_OVERHEAD = 12;
const MAX_CHUNK_LENGTH = 0x7fffffff;

export interface PngChunk {
  type: string;
  data: Buffer;
}

export function isPng(bytes: Buffer): boolean {
  return bytes.length >= SIGNATURE.length && bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE);
}

function pngFail(problem: string): never {
  throw new CardError(`png: ${problem}`);
}

function chunkCrc(type: Buffer, data: Buffer): number {
  return crc32(data, crc32(type));
}

/** Every chunk up to IEND (bytes after it are ignored, as PNG decoders do), each one checked. */
export function readPngChunks(bytes: Buffer): PngChunk[] {
  if (!isPng(bytes)) pngFail('no PNG signature');
  const chunks: PngChunk[] = [];
  let at = SIGNATURE.length;
  for (;;) {
    if (bytes.length - at < CHUNK_OVERHEAD) {
      pngFail(
        `truncated at byte ${at}: no IEND chunk (${bytes.length - at} bytes left, a chunk needs ${CHUNK_OVERHEAD})`,
      );
    }
    const length = bytes.readUInt32BE(at);
    const typeBytes = bytes.subarray(at + 4, at + 8);
    const type = typeBytes.toString('latin1');
    if (!/^[A-Za-z]{4}$/.test(type))
      pngFail(`chunk at byte ${at}: invalid chunk type ${JSON.stringify(type)}`);
    const where = `chunk ${type} at byte ${at}`;
    if (length > MAX_CHUNK_LENGTH || length > bytes.length - at - CHUNK_OVERHEAD) {
      pngFail(`${where}: length ${length} runs past the end of the file (${bytes.length} bytes)`);
    }
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (bytes.readUInt32BE(at + 8 + length) !== chunkCrc(typeBytes, data)) pngFail(`${where}: CRC mismatch`);
    if (chunks.length === 0 && type !== 'IHDR') pngFail(`${where}: the first chunk must be IHDR`);
    chunks.push({ type, data });
    at += CHUNK_OVERHEAD + length;
    if (type === 'IEND') return chunks;
  }
}

export function writePng(chunks: PngChunk[]): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  for (const chunk of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(chunk.data.length, 0);
    head.write(chunk.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(chunkCrc(head.subarray(4), chunk.data), 0);
    parts.push(head, chunk.data, crc);
  }
  return Buffer.concat(parts);
}

export interface PngText {
  keyword: string;
  text: string;
}

/** A tEXt chunk: a Latin-1 keyword, a NUL, Latin-1 text. `where` names the chunk in errors. */
export function readTextChunk(chunk: PngChunk, where: string): PngText {
  const separator = chunk.data.indexOf(0);
  if (separator < 1) pngFail(`${where}: a tEXt chunk needs a keyword and a NUL separator after it`);
  return {
    keyword: chunk.data.subarray(0, separator).toString('latin1'),
    text: chunk.data.subarray(separator + 1).toString('latin1'),
  };
}

export function textChunk(keyword: string, text: string): PngChunk {
  return {
    type: 'tEXt',
    data: Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]),
  };
}

/** tEXt keywords that carry card data (V3, V2, V3's legacy embedded assets). */
const CARD_CHUNK_KEYWORD = /^(ccv3|chara|chara-ext-asset_:.*)$/s;

/** Whether a chunk carries card data: what an avatar is stripped of, and what an export replaces. */
export function isCardChunk(chunk: PngChunk): boolean {
  if (chunk.type !== 'tEXt') return false;
  const separator = chunk.data.indexOf(0);
  return CARD_CHUNK_KEYWORD.test(chunk.data.subarray(0, Math.max(separator, 0)).toString('latin1'));
}

const PLACEHOLDER_SIZE = 64;

/** A square in one colour taken from the name, for a character whose avatar is missing or not a PNG. */
export function placeholderPng(name: string): Buffer {
  const hue = crc32(name);
  const rgb = [hue & 0xff, (hue >>> 8) & 0xff, (hue >>> 16) & 0xff].map((c) => 64 + (c % 160));
  const row = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: PLACEHOLDER_SIZE }, () => rgb).flat()),
  ]);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(PLACEHOLDER_SIZE, 0);
  header.writeUInt32BE(PLACEHOLDER_SIZE, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per sample, RGB, deflate, adaptive filtering, no interlace
  return writePng([
    { type: 'IHDR', data: header },
    { type: 'IDAT', data: deflateSync(Buffer.concat(Array.from({ length: PLACEHOLDER_SIZE }, () => row))) },
    { type: 'IEND', data: Buffer.alloc(0) },
  ]);
}
