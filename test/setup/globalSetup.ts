/**
 * Starts a private local stack (Temporal dev server, FerretDB, Chroma, Ollama with the bundled model) once for
 * the whole jest run, on free loopback ports with state in a fresh .data/test-<pid> folder, so a running
 * `npm start` / `stack up` is not disturbed. Services whose env var is already set (TEMPORAL_ADDRESS,
 * MONGODB_URI, CHROMA_URL, OLLAMA_HOST) are used as they are. Test workers are forked after this runs, so they
 * inherit the variables set here:
 *   TEMPORAL_ADDRESS, TEMPORAL_UI_URL, MONGODB_URI (.../fgbots_test), MONGODB_DB=fgbots_test, CHROMA_URL,
 *   FG_TEST_STACK=1, and for the real-LLM tests FG_TEST_OLLAMA_HOST and FG_TEST_OLLAMA_MODEL (the bundled
 *   model, or OLLAMA_MODEL with an OLLAMA_HOST of your own). OLLAMA_HOST itself is not set: the other tests
 *   name their scripted Ollama explicitly.
 * Quiet output: the stack's progress goes to <logs>/test-stack.log and the app's logs to <logs>/app.log
 * (FG_TEST_APP_LOG, see quietLogsEnvironment.ts); one line says where. Teardown keeps them in .data/test-logs.
 */
import fs from 'node:fs';
import path from 'node:path';

import { loadConfig } from '../../src/config';
import { startLocalStack, stopLocalStack, type LocalStack } from '../../src/stack/localStack';
import { isAlive } from '../../src/stack/processes';
import { findRepoRoot, resolveServerTools } from '../../src/stack/tools';
import { setTestStack, testLog } from './testStack';

const TEST_DB = 'fgbots_test';

/** Stops and removes test stacks left behind by jest runs that were killed before their teardown. */
async function removeAbandonedTestStacks(dataRoot: string): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(dataRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^test-(\d+)$/.exec(name);
    if (!match) continue;
    const ownerPid = Number(match[1]);
    if (ownerPid !== process.pid && isAlive(ownerPid)) continue; // another jest run in progress
    const dir = path.join(dataRoot, name);
    testLog(`removing abandoned test stack ${dir}`);
    await stopLocalStack({ dataDir: dir, log: testLog, graceMs: 2000 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export default async function globalSetup(): Promise<void> {
  const repoRoot = findRepoRoot(__dirname);
  const dataRoot = path.join(repoRoot, '.data');
  await removeAbandonedTestStacks(dataRoot);

  const dataDir = path.join(dataRoot, `test-${process.pid}`);
  const started = Date.now();
  const keepLogsDir = path.join(dataRoot, 'test-logs');
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const stackLog = (msg: string) => fs.appendFileSync(path.join(logDir, 'test-stack.log'), `${msg}\n`);
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      repoRoot,
      dataDir,
      logDir,
      ports: { temporal: 0, temporalUi: 0, mongo: 0, chroma: 0, ollama: 0 },
      temporalInMemory: true,
      mongoDatabase: TEST_DB,
      log: stackLog,
    });
  } catch (err) {
    // startLocalStack already stopped what it started; keep the logs, drop the data.
    if (fs.existsSync(logDir)) {
      fs.rmSync(keepLogsDir, { recursive: true, force: true });
      fs.cpSync(logDir, keepLogsDir, { recursive: true });
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  setTestStack({ stack, dataDir, keepLogsDir });

  process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
  if (stack.temporalUiUrl) process.env.TEMPORAL_UI_URL = stack.temporalUiUrl;
  process.env.MONGODB_URI = stack.mongodbUri;
  // src/config.ts takes the database from MONGODB_DB (the URI's path is ignored there): keep tests off the
  // app's database even when MONGODB_URI points at a user's server.
  process.env.MONGODB_DB = TEST_DB;
  process.env.CHROMA_URL = stack.chromaUrl;
  process.env.FG_TEST_STACK = '1';
  process.env.FG_TEST_OLLAMA_HOST = stack.ollamaHost;
  process.env.FG_TEST_OLLAMA_MODEL = stack.bundledModel ?? loadConfig().ollamaModel;
  process.env.EMBEDDING_MODEL_DIR ??= (await resolveServerTools(repoRoot, testLog)).embeddingModelDir;
  process.env.LOG_LEVEL ??= 'warn'; // LOG_LEVEL=info ./scripts/test logs it all (to the file below)
  process.env.FG_TEST_APP_LOG = path.join(logDir, 'app.log');
  process.env.FG_TEST_APP_LOG_KEPT =
    path.relative(repoRoot, path.join(keepLogsDir, 'app.log')) + ' after the run';
  testLog(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: temporal ${stack.temporalAddress}, ` +
      `mongodb ${stack.mongodbUri}, chroma ${stack.chromaUrl}, ollama ${stack.ollamaHost}`,
  );
  testLog(
    `app logs go to ${path.relative(repoRoot, process.env.FG_TEST_APP_LOG)} (a failing test prints its own), ` +
      `kept with the service logs in ${path.relative(repoRoot, keepLogsDir)} after the run`,
  );
}
