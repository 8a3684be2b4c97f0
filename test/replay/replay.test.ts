/**
 * Replays every recorded history in test/fixtures/histories/ against the current workflow code (the bundle
 * the worker would run). A change that makes a workflow issue different commands for the same history (an
 * activity added, removed or reordered, a timer moved, a child started elsewhere) fails here with a
 * DeterminismViolationError, before it can break the executions already running when the worker is upgraded.
 * Such a change needs `patched()` or a new workflow type (README, "Changing a workflow safely"); the histories
 * come from `npm run record-histories` (test/replay/recordHistories.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../src/workflows';
import { workflowBundle } from '../setup/workflowBundle';
import { installQuietRuntime } from '../workflows/env';
import { historyFromJSON, type RecordedHistory } from './historyJson';

const HISTORIES_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
/** Recorded from the current code, and in old/ from older revisions (what running executions may have). */
const files = fs
  .readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .sort();
const histories = files.map((file) => {
  const recorded = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as RecordedHistory;
  return { file, workflowId: recorded.workflowId, history: historyFromJSON(recorded.history) };
});

/** Replay outcome per file: undefined when it replayed cleanly. */
const outcomes = new Map<string, Error | undefined>();

beforeAll(async () => {
  installQuietRuntime();
  const replays = Worker.runReplayHistories(
    { workflowBundle: await workflowBundle(), replayName: 'replay-test' },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  // Results come in the order of the histories.
  let index = 0;
  for await (const { error } of replays) outcomes.set(histories[index++]?.file ?? '?', error);
}, 300_000);

describe('recorded histories replay against the current workflow code', () => {
  it.each(files)('%s', (file) => {
    expect(outcomes.has(file)).toBe(true);
    const error = outcomes.get(file);
    if (error) throw error; // a DeterminismViolationError says which command differs
  });
});

it('covers every workflow type the worker runs', () => {
  const recordedTypes = new Set(
    histories.map(
      ({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
    ),
  );
  const workflowTypes = Object.entries(workflows)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name)
    .sort();
  expect(workflowTypes.length).toBeGreaterThanOrEqual(10);
  // A new workflow type needs a scenario in recordHistories.ts and its recorded history.
  expect(workflowTypes.filter((type) => !recordedTypes.has(type))).toEqual([]);
});
