/** Shared between globalSetup and globalTeardown (both run in jest's parent process). */
import type { LocalStack } from '../../src/stack/localStack';

export interface TestStackState {
  stack: LocalStack;
  /** Fresh per run; removed at teardown. */
  dataDir: string;
  /** The last run's service logs are copied here at teardown (for debugging failures). */
  keepLogsDir: string;
}

const KEY = '__FG_TEST_STACK__';
type Holder = { [KEY]?: TestStackState };

export const setTestStack = (state: TestStackState | undefined): void => {
  (globalThis as Holder)[KEY] = state;
};
export const getTestStack = (): TestStackState | undefined => (globalThis as Holder)[KEY];

export const testLog = (msg: string): void => {
  process.stderr.write(`[test-stack] ${msg}\n`);
};
