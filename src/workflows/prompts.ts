import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, LlmActivities } from '../activities';
import { reviewPrompts, type PromptReviewPolicy, type ReviewAction } from '../prompts/review';
import { deadLetterStep, rootCause } from './deadLetters';
import { GENERATE_MAX_ATTEMPTS, LLM_OPTIONS, STORE_OPTIONS, STORE_RETRY } from './retryPolicies';
import {
  llmTaskQueueFor,
  type PromptChangeOutcome,
  type PromptChangeRequest,
  type PromptOptimizerInput,
} from './types';

const { loadOptimizerMaterial, createChallengerPrompt, changePromptDefault, setPromptTraffic } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);
/** Reads every rating and turn: a regular activity with room to scan a large history. */
const { refreshPromptMetrics } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: STORE_RETRY,
});

/** Admins promote a version or roll back the default by signalling PromptVersionsWorkflow. */
export const promoteVersionSignal =
  defineSignal<[{ requestId: string; character: string; version: string; by?: string; reason?: string }]>(
    'promoteVersion',
  );
export const rollBackDefaultSignal =
  defineSignal<[{ requestId: string; character: string; by?: string; reason?: string }]>('rollBackDefault');
/** The outcomes of the latest requests, newest last. */
export const promptChangesQuery = defineQuery<PromptChangeOutcome[]>('promptChanges');

type Pending = PromptChangeRequest & { requestId: string };

/** Outcomes kept for admins to read back. */
const KEPT_OUTCOMES = 100;
/** Requests handled before continuing as new, to keep the history short. */
const REQUESTS_PER_RUN = 500;

/**
 * The single writer of default prompt changes asked for by admins: requests arrive as
 * signals (from the admin API, the CLI or the Temporal UI) and are applied one at a time,
 * in order, each with its outcome kept for the query. Runs until stopped; continues as
 * new now and then.
 */
export async function PromptVersionsWorkflow(
  input: { outcomes?: PromptChangeOutcome[] } = {},
): Promise<void> {
  const outcomes = input.outcomes ?? [];
  const pending: Pending[] = [];
  setHandler(promoteVersionSignal, ({ requestId, character, version, by, reason }) => {
    pending.push({
      requestId,
      character,
      action: 'promote',
      version,
      by: by ?? 'admin',
      reason: reason ?? 'admin request',
    });
  });
  setHandler(rollBackDefaultSignal, ({ requestId, character, by, reason }) => {
    pending.push({
      requestId,
      character,
      action: 'rollback',
      by: by ?? 'admin',
      reason: reason ?? 'admin request',
    });
  });
  setHandler(promptChangesQuery, () => outcomes);

  const apply = async ({ requestId, ...request }: Pending): Promise<PromptChangeOutcome> => {
    try {
      return { requestId, ok: true, result: await changePromptDefault(request) };
    } catch (err) {
      return { requestId, ok: false, error: rootCause(err) };
    }
  };
  for (let handled = 0; handled < REQUESTS_PER_RUN && !workflowInfo().continueAsNewSuggested;) {
    await condition(() => pending.length > 0);
    // Drained completely, so nothing that arrived during a change is lost at continue-as-new.
    for (let next = pending.shift(); next; next = pending.shift(), handled++)
      outcomes.push(await apply(next));
    outcomes.splice(0, Math.max(0, outcomes.length - KEPT_OUTCOMES));
  }
  await continueAsNew<typeof PromptVersionsWorkflow>({ outcomes });
}

/**
 * Run by the prompt-review schedule: refreshes every version's performance_metrics,
 * promotes challengers that beat their default, retires ones that did not, and asks the
 * optimiser for a challenger where a default rates poorly.
 */
export async function PromptReviewWorkflow(policy: PromptReviewPolicy): Promise<ReviewAction[]> {
  const versions = await refreshPromptMetrics();
  const actions = reviewPrompts(versions, policy);
  for (const action of actions) {
    const { character, version, reason } = action;
    log.info('prompt review', { ...action });
    if (action.kind === 'promote') {
      await changePromptDefault({ character, action: 'promote', version, by: 'prompt_review', reason });
    } else if (action.kind === 'retire') {
      await setPromptTraffic({ character, version, percentage: 0, by: 'prompt_review', reason });
    } else {
      await executeChild(PromptOptimizerWorkflow, {
        workflowId: `${workflowInfo().workflowId}-optimize-${character.toLowerCase()}`,
        args: [{ character, baseVersion: version, challengerPercentage: policy.challengerPercentage }],
      });
    }
  }
  return actions;
}

/**
 * Writes a challenger prompt for a poorly rated version from its lowest- and
 * highest-rated replies, and puts it on an A/B test. Returns the new version, or null
 * when the LLM could not write a usable prompt (dead-lettered).
 */
export async function PromptOptimizerWorkflow(input: PromptOptimizerInput): Promise<string | null> {
  const { suggestPromptImprovement } = proxyActivities<LlmActivities>({
    ...LLM_OPTIONS,
    taskQueue: llmTaskQueueFor(workflowInfo().taskQueue),
  });
  const material = await loadOptimizerMaterial({ character: input.character, version: input.baseVersion });
  let promptText: string;
  try {
    promptText = await suggestPromptImprovement(material);
  } catch (err) {
    await deadLetterStep({
      step: 'suggestPromptImprovement',
      error: err,
      maxAttempts: GENERATE_MAX_ATTEMPTS,
      payload: { ...input },
    });
    return null;
  }
  const { version } = await createChallengerPrompt({
    character: input.character,
    baseVersion: input.baseVersion,
    promptText,
    percentage: input.challengerPercentage,
    createdBy: workflowInfo().workflowId,
    average: material.average,
    ratingCount: material.ratingCount,
  });
  return version;
}
