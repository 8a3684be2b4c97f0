/**
 * The prompt-versions family's contract: the single writer of default-prompt changes (updates from
 * the admin API, signals from the Temporal UI), the review schedule and the optimizer.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const PROMPT_VERSIONS_WORKFLOW_TYPE = 'PromptVersionsWorkflow';
export const PROMPT_REVIEW_WORKFLOW_TYPE = 'PromptReviewWorkflow';

/** A change of a character's default prompt, by an admin (API or signal) or the review. */
export type PromptChangeRequest = {
  character: string;
  /** Who asked: "admin", an admin's name, "prompt_review". */
  by: string;
  reason: string;
} & ({ action: 'promote'; version: string } | { action: 'rollback' });

export interface PromptChangeResult {
  character: string;
  action: 'promote' | 'rollback';
  defaultVersion: string;
  /** The default it replaced; null when the version already was the default. */
  replaced: string | null;
}

/** A change as an admin asks for it (by and reason default to "admin" and "admin request"). */
export type PromptChangeAsk = { requestId: string; character: string; by?: string; reason?: string } & (
  { action: 'promote'; version: string } | { action: 'rollback' }
);

/** What PromptVersionsWorkflow did with a request, for the admin who sent it. */
export type PromptChangeOutcome = { requestId: string } & (
  { ok: true; result: PromptChangeResult } | { ok: false; error: string }
);

export interface PromptOptimizerInput {
  character: string;
  baseVersion: string;
  challengerPercentage: number;
}

/**
 * One prompt review schedule and one PromptVersionsWorkflow per deployment; the task
 * queue names the deployment, so two sharing a Temporal namespace do not collide.
 */
export function promptReviewScheduleId(taskQueue: string): string {
  return `prompt-review-${taskQueue}`;
}

export function promptVersionsWorkflowId(taskQueue: string): string {
  return `prompt-versions-${taskQueue}`;
}

/** The admin API's prompt change, answered with its outcome (update-with-start). */
export const changePromptDefaultUpdate = defineUpdate<PromptChangeOutcome, [PromptChangeAsk]>(
  'changePromptDefault',
);
/** The same changes as fire-and-forget signals (from the Temporal UI or CLI), outcomes read by query. */
export const promoteVersionSignal =
  defineSignal<[{ requestId: string; character: string; version: string; by?: string; reason?: string }]>(
    'promoteVersion',
  );
export const rollBackDefaultSignal =
  defineSignal<[{ requestId: string; character: string; by?: string; reason?: string }]>('rollBackDefault');
/** The outcomes of the latest requests, newest last. */
export const promptChangesQuery = defineQuery<PromptChangeOutcome[]>('promptChanges');
