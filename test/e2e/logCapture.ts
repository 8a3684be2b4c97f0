/**
 * Captures what this process logs through src/logger.ts (the bots, the in-process worker and, through
 * the Temporal runtime logger, workflow and activity logs), line by line as pino writes them; they
 * still reach stdout as usual. Child loggers share the root logger's stream, so every line passes here.
 */
import pino from 'pino';
import { logger } from '../../src/logger';

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

export interface LogCapture {
  /** Every JSON line logged since the capture started, parsed. */
  lines(): LogLine[];
  /** Everything logged since the capture started, as written. */
  text(): string;
  stop(): void;
}

type Writable = { write(chunk: string): unknown };

export function captureLogs(): LogCapture {
  const stream = (logger as unknown as Record<symbol, Writable>)[pino.symbols.streamSym] as Writable;
  const original = stream.write;
  const written: string[] = [];
  stream.write = function write(this: Writable, chunk: string) {
    written.push(chunk);
    return original.call(this, chunk);
  };
  return {
    lines: () =>
      written.flatMap((chunk) =>
        chunk
          .split('\n')
          .filter((line) => line.trim() !== '')
          .flatMap((line) => {
            try {
              return [JSON.parse(line) as LogLine];
            } catch {
              return [];
            }
          }),
      ),
    text: () => written.join(''),
    stop: () => {
      stream.write = original;
    },
  };
}
