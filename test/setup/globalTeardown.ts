/** Stops the test stack started by globalSetup, keeps its logs in .data/test-logs and removes its data. */
import fs from 'node:fs';

import { getTestStack, setTestStack } from './testStack';

export default async function globalTeardown(): Promise<void> {
  const state = getTestStack();
  if (!state) return;
  setTestStack(undefined);
  await state.stack.stop();
  if (fs.existsSync(state.stack.logDir)) {
    fs.rmSync(state.keepLogsDir, { recursive: true, force: true });
    fs.cpSync(state.stack.logDir, state.keepLogsDir, { recursive: true });
  }
  fs.rmSync(state.dataDir, { recursive: true, force: true });
}
