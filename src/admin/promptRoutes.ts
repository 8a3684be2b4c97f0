import { randomUUID } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { isDuplicateKeyError } from '../store/errors';
import type { CharacterPrompt } from '../store/characterPrompts';
import type { Store } from '../store/mongo';
import type { PromptVersionsWorkflow } from '../workflows/prompts';
import {
  changePromptDefaultUpdate,
  PROMPT_VERSIONS_WORKFLOW_TYPE,
  promptVersionsWorkflowId,
  type PromptChangeAsk,
  type PromptChangeOutcome,
} from '../workflows/contracts/prompts';
import { HttpError, optionalString, readJsonObject, requiredString, type Route } from './http';

const MAX_PROMPT_CHARS = 12_000;
/** Reasons and fallback lines. */
const MAX_NOTE_CHARS = 500;
/** How long a promote or rollback request waits for PromptVersionsWorkflow's outcome. */
const CHANGE_WAIT_MS = 15_000;

/**
 * Prompt versions: GET /prompts lists them (with performance_metrics and change logs),
 * POST /prompts/:character creates one (optionally on an A/B test), and
 * POST /prompts/:character/{promote,rollback} change the default through an update of
 * PromptVersionsWorkflow (update-with-start), answering with its outcome.
 */
export function promptRoutes(options: { store: Store; temporal: Client; taskQueue: string }): Route[] {
  const { characterPrompts } = options.store;
  const versionsOf = async (character: string): Promise<CharacterPrompt[]> => {
    const versions = await characterPrompts.list(character);
    if (versions.length === 0) throw new HttpError(404, `no prompts for character "${character}"`);
    return versions;
  };

  /**
   * Sends the change as an update (starting the workflow if needed) and answers with its outcome: 200
   * applied, 409 refused by the store, 503 when no worker took it within CHANGE_WAIT_MS.
   */
  const requestChange = async (
    change:
      | { action: 'promote'; character: string; version: string; reason: string }
      | { action: 'rollback'; character: string; reason: string },
  ): Promise<[number, unknown]> => {
    const workflowId = promptVersionsWorkflowId(options.taskQueue);
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof PromptVersionsWorkflow>(
      PROMPT_VERSIONS_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue: options.taskQueue,
        args: [{}],
        workflowIdConflictPolicy: 'USE_EXISTING',
      },
    );
    const ask: PromptChangeAsk = { ...change, requestId: randomUUID(), by: 'admin' };
    let outcome: PromptChangeOutcome;
    try {
      outcome = await options.temporal.withDeadline(Date.now() + CHANGE_WAIT_MS, () =>
        options.temporal.workflow.executeUpdateWithStart(changePromptDefaultUpdate, {
          args: [ask],
          startWorkflowOperation,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new HttpError(400, rootMessage(err));
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(err)) {
        throw new HttpError(
          503,
          `no worker took the change within ${CHANGE_WAIT_MS / 1000} s (${workflowId}): it may still be ` +
            `applied when one runs; check GET /prompts/${change.character}`,
        );
      }
      throw err;
    }
    if (outcome.ok) return [200, outcome.result];
    throw new HttpError(409, outcome.error);
  };

  return [
    {
      method: 'GET',
      path: /^\/prompts$/,
      handle: async () => [200, { prompts: await characterPrompts.list() }],
    },
    {
      method: 'GET',
      path: /^\/prompts\/(?<character>[\w-]{1,64})$/,
      handle: async (_req, { character }) => [200, { prompts: await versionsOf(character as string) }],
    },
    {
      method: 'POST',
      path: /^\/prompts\/(?<character>[\w-]{1,64})$/,
      handle: async (req, { character }) => {
        const name = character as string;
        const body = newVersionRequest(await readJsonObject(req));
        const versions = await versionsOf(name);
        const current = versions.find((v) => v.is_default);
        const testing = versions
          .filter((v) => !v.is_default)
          .reduce((sum, v) => sum + v.ab_test_percentage, 0);
        if (testing + body.ab_test_percentage > 100) {
          throw new HttpError(
            400,
            `ab_test_percentage ${body.ab_test_percentage}: other versions of ${name} already take ${testing}% (at most 100% in total)`,
          );
        }
        try {
          const created = await characterPrompts.create({
            character_name: name,
            prompt_version: body.prompt_version,
            prompt_text: body.prompt_text,
            is_default: false,
            ab_test_percentage: body.ab_test_percentage,
            fallback_line: body.fallback_line ?? current?.fallback_line ?? '',
            based_on: current?.prompt_version ?? null,
            created_by: 'admin',
            reason: body.reason,
          });
          return [201, created];
        } catch (err) {
          if (isDuplicateKeyError(err))
            throw new HttpError(409, `${name} already has a prompt version "${body.prompt_version}"`);
          throw err;
        }
      },
    },
    {
      method: 'POST',
      path: /^\/prompts\/(?<character>[\w-]{1,64})\/promote$/,
      handle: async (req, { character }) => {
        const name = character as string;
        const body = await readJsonObject(req);
        const version = requiredString(body, 'version', 64);
        if (!(await versionsOf(name)).some((v) => v.prompt_version === version))
          throw new HttpError(404, `${name} has no prompt version "${version}"`);
        return requestChange({
          action: 'promote',
          character: name,
          version,
          reason: optionalString(body, 'reason', MAX_NOTE_CHARS) ?? 'promoted through the admin API',
        });
      },
    },
    {
      method: 'POST',
      path: /^\/prompts\/(?<character>[\w-]{1,64})\/rollback$/,
      handle: async (req, { character }) => {
        const name = character as string;
        const body = await readJsonObject(req);
        await versionsOf(name);
        return requestChange({
          action: 'rollback',
          character: name,
          reason: optionalString(body, 'reason', MAX_NOTE_CHARS) ?? 'rolled back through the admin API',
        });
      },
    },
  ];
}

function newVersionRequest(body: Record<string, unknown>) {
  const prompt_version = requiredString(body, 'prompt_version', 64);
  if (!/^[\w.-]+$/.test(prompt_version))
    throw new HttpError(400, 'prompt_version: letters, digits, ".", "_" and "-" only');
  const prompt_text = requiredString(body, 'prompt_text', MAX_PROMPT_CHARS);
  const share = body.ab_test_percentage ?? 0;
  if (typeof share !== 'number' || !Number.isInteger(share) || share < 0 || share > 100)
    throw new HttpError(400, 'ab_test_percentage: expected an integer 0-100');
  return {
    prompt_version,
    prompt_text,
    ab_test_percentage: share,
    fallback_line: optionalString(body, 'fallback_line', MAX_NOTE_CHARS),
    reason: optionalString(body, 'reason', MAX_NOTE_CHARS) ?? 'created through the admin API',
  };
}

/** The validator's words, not the SDK's wrapper around them. */
function rootMessage(err: WorkflowUpdateFailedError): string {
  const cause = err.cause;
  return cause instanceof Error ? cause.message : err.message;
}

function isDeadlineExceeded(err: unknown): boolean {
  return isGrpcServiceError(err) && err.code === grpcStatus.DEADLINE_EXCEEDED;
}
