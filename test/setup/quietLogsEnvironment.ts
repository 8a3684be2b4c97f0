/**
 * jest's node environment, with the app's logs kept out of the test output: everything src/logger.ts
 * logs in a test process (the harness's worker and bots, workflows and activities through the Temporal
 * runtime logger) goes to one file for the whole run, and the part a failing test logged is printed
 * (readable, one line per entry) under its name. globalSetup names the file (FG_TEST_APP_LOG) and prints
 * its path once; without it (the fast tier) it is a temporary file of the process.
 *
 * The logger takes the file as its destination from a global set here before any module of the test
 * loads (LOG_DESTINATION in src/logger.ts). One stream per process serves every test file: the Temporal
 * runtime keeps the logger of the first file that installed it, so its lines land in the same file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';

/** The key src/logger.ts looks up (Symbol.for: the same symbol in every vm context). */
const LOG_DESTINATION = Symbol.for('family-guy-bots.logDestination');
/** Most lines printed for one failing test (its last ones); the file has them all. */
const MAX_PRINTED_LINES = 300;

export const appLogFile = (): string =>
  process.env.FG_TEST_APP_LOG ?? path.join(os.tmpdir(), `family-guy-bots-test-app-${process.pid}.log`);

let shared: { file: string; stream: pino.DestinationStream } | undefined;
function sharedStream(): { file: string; stream: pino.DestinationStream } {
  const file = appLogFile();
  if (shared?.file !== file) {
    shared = { file, stream: pino.destination({ dest: file, sync: true, append: true, mkdir: true }) };
  }
  return shared;
}

const size = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

const pretty = prettyFactory({
  colorize: false,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,service,component',
  messageFormat: '{if component}[{component}] {end}{msg}',
});

function fullName(test: Circus.TestEntry): string {
  const names = [test.name];
  for (let block: Circus.DescribeBlock | undefined = test.parent; block?.parent; block = block.parent) {
    names.unshift(block.name);
  }
  return names.join(' › ');
}

export default class QuietLogsEnvironment extends TestEnvironment {
  private readonly file: string;
  private readonly testPath: string;
  /** Where the current test's (or, before the first test, the file's) lines begin. */
  private mark = 0;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const { file, stream } = sharedStream();
    this.file = file;
    this.testPath = path.relative(process.cwd(), context.testPath);
    (this.global as Record<symbol, unknown>)[LOG_DESTINATION] = stream;
    this.mark = size(file);
  }

  handleTestEvent(event: Circus.Event): void {
    if (event.name === 'test_start') this.mark = size(this.file);
    else if (event.name === 'test_done' && event.test.errors.length > 0) {
      this.print(`failing test "${fullName(event.test)}"`);
    } else if (event.name === 'hook_failure') {
      this.print(`failing ${event.hook.type} hook of ${this.testPath}`);
    }
  }

  /** The lines logged since the mark, readable, on stderr. */
  private print(what: string): void {
    const end = size(this.file);
    if (end <= this.mark) return;
    const fd = fs.openSync(this.file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(end - this.mark);
      fs.readSync(fd, buffer, 0, buffer.length, this.mark);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    const shown = lines.slice(-MAX_PRINTED_LINES).map((line) => {
      try {
        return pretty(JSON.parse(line)).trimEnd();
      } catch {
        return line;
      }
    });
    const skipped = lines.length - shown.length;
    const whole = process.env.FG_TEST_APP_LOG_KEPT ?? this.file;
    process.stderr.write(
      `\n── app log of the ${what} (${this.testPath}; all of it in ${whole})` +
        `${skipped > 0 ? `, last ${shown.length} of ${lines.length} lines` : ''} ──\n` +
        `${shown.join('\n')}\n──\n`,
    );
  }
}
