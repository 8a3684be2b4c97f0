/**
 * Workflow tests without the local stack: Temporal's time-skipping test server (installed by
 * scripts/install-test-server.sh into the per-user tool cache, from Maven Central) and workers that run the
 * real workflow bundle over fake activities (./fakeActivities.ts). Timers and retry backoffs are skipped
 * whenever a test waits for a workflow's result, so a 30-minute silence or a 4 s retry costs nothing.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type LogLevel,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { llmTaskQueueFor } from '../../src/workflows/types';
import { byTaskQueue, fakeActivities, type ActivityOverrides } from './fakeActivities';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The test server's launcher: $TEMPORAL_TEST_SERVER, else what the (cached, idempotent) installer prints. */
export function testServerPath(): string {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER;
  if (fromEnv) return fromEnv;
  const output = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-test-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const found = /^TEMPORAL_TEST_SERVER=(.+)$/m.exec(output)?.[1];
  if (!found) throw new Error(`scripts/install-test-server.sh printed no TEMPORAL_TEST_SERVER=: ${output}`);
  return found;
}

/**
 * The SDK's own logs (worker warnings such as "Activity failed", workflow log.warn) are expected noise in
 * tests that fail activities on purpose: shown from ERROR up, or from WORKFLOW_TEST_LOG_LEVEL (e.g. WARN).
 */
function installQuietRuntime(): void {
  const level = (process.env.WORKFLOW_TEST_LOG_LEVEL ?? 'ERROR').toUpperCase() as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      // Core's own logs too (e.g. its warning that the test server does not advertise a capability).
      telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
    });
  } catch {
    // Installed already (another test of this file), which is fine.
  }
}

/** A time-skipping test environment on its own free port; `teardown()` it in afterAll. */
export async function startTestEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** src/workflows bundled once per test file (webpack takes a few seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  return bundle;
}

/**
 * Runs `body` while two workers poll a fresh task queue, as in production: the workflows and the store,
 * Discord and wiki activities on `taskQueue`, the LLM activities on `<taskQueue>-llm`. Activities are the
 * fakes with `overrides` applied.
 */
export async function withWorkers<T>(
  env: TestWorkflowEnvironment,
  overrides: ActivityOverrides,
  body: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const [activities, llmActivities] = byTaskQueue(fakeActivities(overrides));
  const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
  const main = await Worker.create({
    ...common,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  const llm = await Worker.create({
    ...common,
    taskQueue: llmTaskQueueFor(taskQueue),
    activities: llmActivities,
  });
  return main.runUntil(llm.runUntil(body(taskQueue)));
}
