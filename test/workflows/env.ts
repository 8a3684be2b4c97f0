/**
 * Workflow tests without the local stack: Temporal's time-skipping test server (installed by
 * scripts/install-test-server.sh into the per-user tool cache, from Maven Central) and workers that run the
 * real workflow bundle over fake activities (./fakeActivities.ts). Timers and retry backoffs are skipped
 * whenever a test waits for a workflow's result, so a 30-minute silence or a 4 s retry costs nothing.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { WorkflowClient } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  Worker,
  type LogLevel,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { workflowBundle } from '../setup/workflowBundle';
import { llmTaskQueueFor } from '../../src/workflows/contracts/taskQueues';
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
export function installQuietRuntime(): void {
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

/**
 * A client whose waits do not skip time. env.client.workflow unlocks time skipping while it waits for a
 * result, and a test server with nothing to do then jumps to its next timer, which can be a finished
 * workflow's 10-year execution timeout: its clock may leap years between two workflows. Tests that compare
 * the workflow clock with times they computed before (silence, cooldown, quiet hours, idle chains) use this
 * client, on which the clock runs at wall speed; env.client.workflow is for skipping timers and backoffs.
 */
export function realTimeClient(env: TestWorkflowEnvironment): WorkflowClient {
  return new WorkflowClient({ connection: env.connection, namespace: env.namespace ?? 'default' });
}

/** A test server with the two workers of production running on it for a whole test file. */
export interface Testbed {
  env: TestWorkflowEnvironment;
  /** The workers' queue (LLM activities on `<taskQueue>-llm`). */
  taskQueue: string;
  /** See realTimeClient. */
  realTime: WorkflowClient;
  /**
   * Runs `body` with the fake activities, `overrides` applied, behind the workers. Wait in `body` for
   * every workflow the test starts, follow-ups included: a later test's activities would serve them.
   */
  run<T>(overrides: ActivityOverrides, body: (taskQueue: string) => Promise<T>): Promise<T>;
  teardown(): Promise<void>;
}

/**
 * The test file's testbed: started before its first test (a new test server takes a while the first
 * time), torn down after its last. The object is filled in by then; use it inside tests only.
 */
export function useTestbed(): Testbed {
  const bed = {} as Testbed;
  beforeAll(async () => void Object.assign(bed, await startTestbed()), 300_000);
  afterAll(() => bed.teardown?.());
  return bed;
}

/**
 * Starts a time-skipping test server and two workers on a fresh task queue, as in production: the
 * workflows (the real bundle) and the store, Discord and wiki activities on `taskQueue`, the LLM activities
 * on `<taskQueue>-llm`. Created once per file (workers take a second to start and stop); each test swaps
 * the activities the workers call through `run`.
 */
export async function startTestbed(
  /** Another environment, e.g. createLocal's dev server (the history recorder); torn down with the testbed. */
  onEnv?: TestWorkflowEnvironment,
  /** Other workflow code, e.g. an older revision's (the history recorder); default: src/workflows. */
  bundle?: WorkflowBundleWithSourceMap,
): Promise<Testbed> {
  const [env, bundled] = await Promise.all([onEnv ?? startTestEnv(), bundle ?? workflowBundle()]);
  const taskQueue = `test-${randomUUID()}`;
  let current = fakeActivities();
  // Registered once; each call goes to the activities of the test running now.
  const delegates = Object.fromEntries(
    Object.keys(current).map((name) => [
      name,
      (...args: unknown[]) =>
        (current as unknown as Record<string, (...a: unknown[]) => unknown>)[name]?.(...args),
    ]),
  ) as unknown as typeof current;
  const [activities, llmActivities] = byTaskQueue(delegates);
  const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue, workflowBundle: bundled, activities }),
    Worker.create({ ...common, taskQueue: llmTaskQueueFor(taskQueue), activities: llmActivities }),
  ]);
  const running = Promise.all(workers.map((worker) => worker.run()));
  return {
    env,
    taskQueue,
    realTime: realTimeClient(env),
    async run(overrides, body) {
      current = fakeActivities(overrides);
      // A worker that fails (it should not) fails the test instead of leaving it waiting.
      return Promise.race([
        body(taskQueue),
        running.then(() => Promise.reject(new Error('workers stopped'))),
      ]);
    },
    async teardown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await env.teardown();
    },
  };
}
