import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { reviewPrompts, type PromptReviewPolicy, type ReviewAction } from '../prompts/review';
import { deadLetterStep, rootCause } from './deadLetters';
import { GENERATE_MAX_ATTEMPTS, METRICS_REFRESH_OPTIONS, STORE_OPTIONS } from './retryPolicies';
import { llmActivities } from './llmActivities';
import {
  changePromptDefaultUpdate,
  promoteVersionSignal,
  promptChangesQuery,
  rollBackDefaultSignal,
  type PromptChangeAsk,
  type PromptChangeOutcome,
  type PromptChangeRequest,
  type PromptOptimizerInput,
} from './contracts/prompts';

const { loadOptimizerMaterial, createChallengerPrompt, changePromptDefault, setPromptTraffic } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);
const { refreshPromptMetrics } = proxyActivities<Activities>(METRICS_REFRESH_OPTIONS);

/** A request waiting its turn; `answer` resolves an update's caller. */
type Pending = PromptChangeRequest & { requestId: string; answer?: (outcome: PromptChangeOutcome) => void };

/** Outcomes kept for admins to read back. */
const KEPT_OUTCOMES = 100;
/** Requests handled before continuing as new, to keep the history short. */
const REQUESTS_PER_RUN = 500;

/**
 * The single writer of default prompt changes asked for by admins: requests arrive as
 * updates (the admin API: the caller gets the outcome) or signals (the Temporal UI or
 * CLI: the outcome is kept for the query) and are applied one at a time, in order. Runs
 * until stopped; continues as new now and then.
 */
export async function PromptVersionsWorkflow(
  input: { outcomes?: PromptChangeOutcome[] } = {},
): Promise<void> {
  const outcomes = input.outcomes ?? [];
  const pending: Pending[] = [];
  setHandler(promoteVersionSignal, (ask) => void pending.push(pendingOf({ ...ask, action: 'promote' })));
  setHandler(rollBackDefaultSignal, (ask) => void pending.push(pendingOf({ ...ask, action: 'rollback' })));
  setHandler(
    changePromptDefaultUpdate,
    (ask) => new Promise((answer) => pending.push(pendingOf(ask, answer))),
    { validator: validatePromptChange },
  );
  setHandler(promptChangesQuery, () => outcomes);

  const apply = async ({ requestId, answer: _answer, ...request }: Pending): Promise<PromptChangeOutcome> => {
    try {
      return { requestId, ok: true, result: await changePromptDefault(request) };
    } catch (err) {
      return { requestId, ok: false, error: rootCause(err) };
    }
  };
  for (let handled = 0; ;) {
    const due = () => handled >= REQUESTS_PER_RUN || workflowInfo().continueAsNewSuggested;
    await condition(() => pending.length > 0 || (due() && allHandlersFinished()));
    if (pending.length === 0) break;
    // Drained completely, so nothing that arrived during a change is lost at continue-as-new.
    for (let next = pending.shift(); next; next = pending.shift(), handled++) {
      const outcome = await apply(next);
      outcomes.push(outcome);
      next.answer?.(outcome);
    }
    outcomes.splice(0, Math.max(0, outcomes.length - KEPT_OUTCOMES));
  }
  await continueAsNew<typeof PromptVersionsWorkflow>({ outcomes });
}

function pendingOf(ask: PromptChangeAsk, answer?: Pending['answer']): Pending {
  const { by, reason, ...rest } = ask;
  return { ...rest, by: by ?? 'admin', reason: reason ?? 'admin request', ...(answer ? { answer } : {}) };
}

/** Refuses a malformed change before it enters the history. */
function validatePromptChange(ask: PromptChangeAsk): void {
  if (typeof ask.requestId !== 'string' || ask.requestId === '') throw new Error('requestId is required');
  if (typeof ask.character !== 'string' || ask.character.trim() === '')
    throw new Error('character is required');
  if (ask.action === 'promote' && (typeof ask.version !== 'string' || ask.version.trim() === '')) {
    throw new Error('version is required to promote');
  }
  if (ask.action !== 'promote' && ask.action !== 'rollback')
    throw new Error('action must be promote or rollback');
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
  const { suggestPromptImprovement } = llmActivities();
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
