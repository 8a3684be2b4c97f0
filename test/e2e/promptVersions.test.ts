import { randomUUID } from 'node:crypto';
import { OPTIMIZER_SYSTEM_INTRO } from '../../src/llm/optimizerPrompt';
import type { PromptReviewPolicy, ReviewAction } from '../../src/prompts/review';
import { ensurePromptReviewSchedule } from '../../src/prompts/reviewSchedule';
import type { FineTuningEntry } from '../../src/store/fineTuningData';
import type { PromptReviewWorkflow, PromptVersionsWorkflow } from '../../src/workflows/prompts';
import {
  changePromptDefaultUpdate,
  promoteVersionSignal,
  promptChangesQuery,
  PROMPT_REVIEW_WORKFLOW_TYPE,
  promptReviewScheduleId,
  promptVersionsWorkflowId,
} from '../../src/workflows/contracts/prompts';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

const POLICY: PromptReviewPolicy = {
  optimizeMinRatings: 10,
  optimizeBelow: 3,
  challengerPercentage: 20,
  promoteMinRatings: 20,
  promoteMargin: 0.25,
};
const TOKEN = 'prompt-admin-token';
const EXTRA_RULES = '\nNEVER talk about yourself as "Peter". NEVER describe your actions in *asterisks*.';
/** The optimiser's scripted rewrite: v1.0's sheet with sharper rules. */
let IMPROVED_PROMPT: string;

let h: Harness;
let admin: Awaited<ReturnType<Harness['startAdmin']>>;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.startAdmin(TOKEN);
  IMPROVED_PROMPT = `${(await h.store.characterPrompts.findVersion('Peter', 'v1.0'))?.prompt_text}${EXTRA_RULES}`;
  h.ollama.reply((body) =>
    body.messages?.[0]?.content.startsWith(OPTIMIZER_SYSTEM_INTRO) ? IMPROVED_PROMPT : 'Hehehe.',
  );
});

afterAll(async () => {
  await admin?.close();
  await h?.stop();
});

/** Ratings as QC and users would have logged them for a version. */
async function rate(character: string, version: string, scores: number[]): Promise<void> {
  const entries: FineTuningEntry[] = scores.map((score, i) => ({
    _id: `test:${randomUUID()}`,
    response_id: `reply-test-${version}-${i}`,
    rating_type: i % 2 === 0 ? 'QC_AUTOMATED' : 'USER_SUBMITTED',
    rating_score: score,
    feedback_text: score < 3 ? 'third person, stage directions' : 'in character',
    rated_by: i % 2 === 0 ? 'qc_module' : `user-${i}`,
    timestamp: new Date(),
    prompt_version_used: version,
    character_name: character,
    response_text:
      score < 3 ? `*scratches belly* ${character} thinks beer is good (${i})` : `Roadhouse! (${i})`,
    ...(i % 2 === 0 ? { qc_method: 'llm' as const } : {}),
  }));
  // Through the store, as QC and the rating workflow write them: each write also counts in the metrics.
  for (const entry of entries) await h.store.fineTuningData.record(entry);
}

function review(): Promise<ReviewAction[]> {
  return h.temporal.workflow.execute<typeof PromptReviewWorkflow>(PROMPT_REVIEW_WORKFLOW_TYPE, {
    workflowId: `prompt-review-test-${randomUUID()}`,
    taskQueue: h.config.taskQueue,
    args: [POLICY],
  });
}

async function adminPost(path: string, body: unknown) {
  const res = await fetch(`${admin.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('prompt versions that learn from ratings', () => {
  it('challenges a poorly rated default, promotes the challenger that beats it, and rolls back on request', async () => {
    // 12 ratings averaging 1.5 on Peter's v1.0, under the threshold of 3.
    await rate('Peter', 'v1.0', [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);

    const first = await review();
    expect(first).toEqual([
      expect.objectContaining({ kind: 'optimize', character: 'Peter', version: 'v1.0' }),
    ]);
    const challenger = await h.store.characterPrompts.findVersion('Peter', 'v1.1_optimized');
    expect(challenger).toMatchObject({
      prompt_text: IMPROVED_PROMPT,
      is_default: false,
      ab_test_percentage: 20,
      based_on: 'v1.0',
    });
    // The optimiser was shown the character's lowest-rated replies.
    const optimizerCall = h.ollama.requests.find((r) =>
      r.body.messages?.[0]?.content.startsWith(OPTIMIZER_SYSTEM_INTRO),
    );
    expect(optimizerCall?.body.messages?.[1]?.content).toContain('LOWEST-RATED REPLIES');
    expect(optimizerCall?.body.messages?.[1]?.content).toContain('Peter thinks beer is good');
    const suggestion = await h.store.fineTuningData.collection.findOne({ rating_type: 'LLM_SUGGESTED' });
    expect(suggestion).toMatchObject({
      rated_by: 'prompt_optimizer',
      prompt_version_used: 'v1.0',
      character_name: 'Peter',
      response_text: IMPROVED_PROMPT,
    });
    const v1 = await h.store.characterPrompts.findVersion('Peter', 'v1.0');
    expect(v1?.performance_metrics).toMatchObject({
      rating_count: 12,
      rating_avg: 1.5,
      qc_count: 6,
      user_count: 6,
    });
    expect(v1?.is_default).toBe(true);

    // While the challenger has too few ratings, nothing changes (and no second challenger).
    await rate('Peter', 'v1.1_optimized', [5, 4, 5]);
    expect(await review()).toEqual([]);

    // With 20 ratings averaging 4.4 it beats 1.5 by more than the margin: promoted.
    await rate('Peter', 'v1.1_optimized', [4, 5, 4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 5, 4]);
    const second = await review();
    expect(second).toEqual([
      expect.objectContaining({ kind: 'promote', character: 'Peter', version: 'v1.1_optimized' }),
    ]);
    expect((await h.store.characterPrompts.findDefault('Peter'))?.prompt_version).toBe('v1.1_optimized');
    expect((await h.store.characterPrompts.findVersion('Peter', 'v1.0'))?.is_default).toBe(false);

    // An admin rolls back: v1.0 is the default again, and every change is kept.
    const rollback = await adminPost('/prompts/Peter/rollback', { reason: 'users miss the old Peter' });
    expect(rollback).toEqual({
      status: 200,
      body: { character: 'Peter', action: 'rollback', defaultVersion: 'v1.0', replaced: 'v1.1_optimized' },
    });
    expect((await h.store.characterPrompts.findDefault('Peter'))?.prompt_version).toBe('v1.0');
    const versions = await h.store.characterPrompts.list('Peter');
    expect(versions.map((v) => [v.prompt_version, v.is_default])).toEqual([
      ['v1.0', true],
      ['v1.1_optimized', false],
    ]);
    const log = versions.find((v) => v.prompt_version === 'v1.1_optimized')?.change_log ?? [];
    expect(log.map((c) => [c.action, c.by])).toEqual([
      ['created', expect.stringContaining('optimize-peter')],
      ['promoted', 'prompt_review'],
      ['demoted', 'admin'],
    ]);

    // The same change by signal (as from the Temporal UI or CLI), read back by query.
    const requestId = randomUUID();
    const handle = h.temporal.workflow.getHandle<typeof PromptVersionsWorkflow>(
      promptVersionsWorkflowId(h.config.taskQueue),
    );
    await handle.signal(promoteVersionSignal, { requestId, character: 'Peter', version: 'v1.1_optimized' });
    const outcome = await waitFor(async () =>
      (await handle.query(promptChangesQuery)).find((o) => o.requestId === requestId),
    );
    expect(outcome).toMatchObject({
      ok: true,
      result: { defaultVersion: 'v1.1_optimized', replaced: 'v1.0' },
    });
    expect((await h.store.characterPrompts.findDefault('Peter'))?.prompt_version).toBe('v1.1_optimized');
  });

  it('retires a challenger that does not beat the default', async () => {
    await rate('Stewie', 'v1.0', Array<number>(10).fill(4));
    const created = await adminPost('/prompts/Stewie', {
      prompt_version: 'v2.0',
      prompt_text: 'You are Stewie Griffin, but nicer.',
      ab_test_percentage: 10,
    });
    expect(created.status).toBe(201);
    await rate('Stewie', 'v2.0', Array<number>(20).fill(3));
    const actions = await review();
    expect(actions.filter((a) => a.character === 'Stewie')).toEqual([
      expect.objectContaining({ kind: 'retire', character: 'Stewie', version: 'v2.0' }),
    ]);
    expect(await h.store.characterPrompts.findVersion('Stewie', 'v2.0')).toMatchObject({
      is_default: false,
      ab_test_percentage: 0,
    });
  });

  it('refuses a malformed change in the update validator, before it enters the history', async () => {
    const handle = h.temporal.workflow.getHandle<typeof PromptVersionsWorkflow>(
      promptVersionsWorkflowId(h.config.taskQueue),
    );
    // The admin API's update-with-start starts the workflow if needed and answers with the outcome.
    expect(await adminPost('/prompts/Brian/promote', { version: 'v1.0' })).toEqual({
      status: 200,
      body: { character: 'Brian', action: 'promote', defaultVersion: 'v1.0', replaced: null },
    });
    const eventsBefore = (await handle.fetchHistory()).events?.length ?? 0;
    const refused = handle.executeUpdate(changePromptDefaultUpdate, {
      args: [{ requestId: randomUUID(), character: 'Brian', action: 'promote', version: ' ' }],
    });
    await expect(refused).rejects.toMatchObject({
      name: 'WorkflowUpdateFailedError',
      cause: expect.objectContaining({ message: 'version is required to promote' }),
    });
    // Rejected by the validator: nothing was written to the workflow's history.
    expect((await handle.fetchHistory()).events?.length ?? 0).toBe(eventsBefore);
  });

  it('refuses bad prompt requests with clear errors', async () => {
    expect(await adminPost('/prompts/Brian/promote', { version: 'v9.9' })).toEqual({
      status: 404,
      body: { error: 'Brian has no prompt version "v9.9"' },
    });
    expect(await adminPost('/prompts/Brian/rollback', {})).toEqual({
      status: 409,
      body: { error: "Brian's default has no earlier default to roll back to" },
    });
    expect((await adminPost('/prompts/Nobody/promote', { version: 'v1.0' })).status).toBe(404);
    expect(await adminPost('/prompts/Brian', { prompt_version: 'v1.0', prompt_text: 'dup' })).toEqual({
      status: 409,
      body: { error: 'Brian already has a prompt version "v1.0"' },
    });
    expect(
      (await adminPost('/prompts/Brian', { prompt_version: 'x y', prompt_text: 'bad name' })).status,
    ).toBe(400);
    expect(
      (await adminPost('/prompts/Brian', { prompt_version: 'v3', prompt_text: 'p', ab_test_percentage: 101 }))
        .status,
    ).toBe(400);
    expect(
      (await adminPost('/prompts/Brian', { prompt_version: 'v3', prompt_text: 'p', ab_test_percentage: 60 }))
        .status,
    ).toBe(201);
    expect(
      await adminPost('/prompts/Brian', { prompt_version: 'v4', prompt_text: 'p', ab_test_percentage: 50 }),
    ).toEqual({
      status: 400,
      body: {
        error: 'ab_test_percentage 50: other versions of Brian already take 60% (at most 100% in total)',
      },
    });
    const unauthorised = await fetch(`${admin.url}/prompts`, { headers: { authorization: 'Bearer wrong' } });
    expect(unauthorised.status).toBe(401);
  });

  it('runs the review on a Temporal Schedule carrying the policy', async () => {
    const options = { taskQueue: h.config.taskQueue, everyMinutes: 60, policy: POLICY };
    expect(await ensurePromptReviewSchedule(h.temporal, options)).toBe('created');
    expect(await ensurePromptReviewSchedule(h.temporal, { ...options, everyMinutes: 30 })).toBe('updated');
    const description = await h.temporal.schedule
      .getHandle(promptReviewScheduleId(h.config.taskQueue))
      .describe();
    expect(description.action).toMatchObject({ workflowType: 'PromptReviewWorkflow', args: [POLICY] });
    expect(description.spec.intervals).toMatchObject([{ every: 30 * 60_000 }]);
    await h.temporal.schedule.getHandle(promptReviewScheduleId(h.config.taskQueue)).delete();
  });
});
