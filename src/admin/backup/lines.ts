/** The backup's files: one JSON value a line, written with their count and sha256, read back line by line. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

import type { BackupFile } from './format';

/** Writes each line plus '\n', honouring back-pressure; returns the count and the sha256 of the bytes. */
export async function writeLines(
  path: string,
  lines: AsyncIterable<string>,
  onCount: (count: number) => void,
): Promise<Omit<BackupFile, 'file'>> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: 'wx' });
  const hash = createHash('sha256');
  let count = 0;
  try {
    for await (const line of lines) {
      if (line.includes('\n')) throw new Error('a line of the backup contains a newline');
      const text = `${line}\n`;
      hash.update(text);
      count++;
      if (!out.write(text)) await once(out, 'drain');
      if (count % 200 === 0) onCount(count);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  onCount(count);
  return { count, sha256: hash.digest('hex') };
}

/** The file's non-empty lines. */
export async function* readLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield line;
}

/** The file's lines, each parsed; an error names `file` and the line that did not parse. */
export async function* parseLines<T>(
  path: string,
  file: string,
  parse: (line: string) => T,
): AsyncGenerator<T> {
  let n = 0;
  for await (const line of readLines(path)) {
    n++;
    let parsed: T;
    try {
      parsed = parse(line);
    } catch (err) {
      throw new Error(`${file} line ${n}: ${(err as Error).message}`);
    }
    yield parsed;
  }
}

export async function* mapAsync<T, U>(items: AsyncIterable<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield map(item);
}
