import { randomUUID } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { isDuplicateKeyError } from '../store/errors';
import { shareProblem, type CharacterPrompt } from '../store/characterPrompts';
import type { Store } from '../store/mongo';
import type { PromptVersionsWorkflow } from '../workflows/prompts';
import {
  changePromptDefaultUpdate,
  PROMPT_VERSIONS_WORKFLOW_TYPE,
  promptVersionsWorkflowId,
  type PromptChangeAsk,
  type PromptChangeOutcome,
} from '../workflows/contracts/prompts';
import { HttpError } from './http';
import { integer, MESSAGE, object, param, pathParams, responses, text } from './schemas';

const MAX_PROMPT_CHARS = 12_000;
/** Reasons and fallback lines. */
const MAX_NOTE_CHARS = 500;
/** How long a promote or rollback request waits for PromptVersionsWorkflow's outcome. */
const CHANGE_WAIT_MS = 15_000;
const CHARACTER = '[\\w-]{1,64}';
const characterUrl = (suffix = '') => `/prompts/${param('character', CHARACTER)}${suffix}`;
const characterParams = pathParams({ character: CHARACTER });
const reason = (fallback: string) => text(MAX_NOTE_CHARS, 'for the change log', { default: fallback });

/** A POST /prompts/:character body. */
interface NewVersionRequest {
  prompt_version: string;
  prompt_text: string;
  ab_test_percentage: number;
  fallback_line?: string;
  reason: string;
}

/**
 * Prompt versions: GET /prompts lists them (with performance_metrics and change logs),
 * POST /prompts/:character creates one (optionally on an A/B test), and
 * POST /prompts/:character/{promote,rollback} change the default through an update of
 * PromptVersionsWorkflow (update-with-start), answering with its outcome.
 */
export function promptRoutes(
  app: FastifyInstance,
  options: { store: Store; temporal: Client; taskQueue: string },
): void {
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
  ): Promise<unknown> => {
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
    if (outcome.ok) return outcome.result;
    throw new HttpError(409, outcome.error);
  };

  type CharacterRoute = { Params: { character: string } };
  type ChangeRoute<Body> = CharacterRoute & { Body: Body };
  const changeAnswers = responses(
    { 200: 'the new default and the one it replaced' },
    [400, 404, 409, 413, 503],
  );

  app.get(
    '/prompts',
    { schema: { summary: 'every prompt version', response: responses({ 200: 'versions with metrics' }) } },
    async () => ({ prompts: await characterPrompts.list() }),
  );

  app.get<CharacterRoute>(
    characterUrl(),
    {
      schema: {
        summary: "a character's prompt versions",
        params: characterParams,
        response: responses({ 200: 'versions' }, [404]),
      },
    },
    async (request) => ({ prompts: await versionsOf(request.params.character) }),
  );

  app.post<ChangeRoute<NewVersionRequest>>(
    characterUrl(),
    {
      schema: {
        summary: 'add a prompt version, optionally on an A/B test',
        params: characterParams,
        body: object(
          {
            prompt_version: text(64, undefined, {
              pattern: '^[\\w.-]+$',
              [MESSAGE]: 'prompt_version: expected 1-64 letters, digits, ".", "_" and "-"',
            }),
            prompt_text: text(MAX_PROMPT_CHARS),
            ab_test_percentage: integer(0, 100, 'share of sessions on A/B test', { default: 0 }),
            fallback_line: text(MAX_NOTE_CHARS, "default: the current default's"),
            reason: reason('created through the admin API'),
          },
          ['prompt_version', 'prompt_text'],
        ),
        response: responses({ 201: 'the new version' }, [400, 404, 409, 413]),
      },
    },
    async (request, reply) => {
      const name = request.params.character;
      const body = request.body;
      const versions = await versionsOf(name);
      const current = versions.find((v) => v.is_default);
      const problem = shareProblem(versions, body.prompt_version, body.ab_test_percentage);
      if (problem) throw new HttpError(400, problem);
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
        return reply.code(201).send(created);
      } catch (err) {
        if (isDuplicateKeyError(err))
          throw new HttpError(409, `${name} already has a prompt version "${body.prompt_version}"`);
        throw err;
      }
    },
  );

  app.post<ChangeRoute<{ version: string; reason: string }>>(
    characterUrl('/promote'),
    {
      schema: {
        summary: 'make a version the default (PromptVersionsWorkflow update; 503 when no worker takes it)',
        params: characterParams,
        body: object({ version: text(64), reason: reason('promoted through the admin API') }, ['version']),
        response: changeAnswers,
      },
    },
    async (request) => {
      const name = request.params.character;
      const { version, reason } = request.body;
      if (!(await versionsOf(name)).some((v) => v.prompt_version === version))
        throw new HttpError(404, `${name} has no prompt version "${version}"`);
      return requestChange({ action: 'promote', character: name, version, reason });
    },
  );

  app.post<ChangeRoute<{ reason: string }>>(
    characterUrl('/rollback'),
    {
      schema: {
        summary: 'return to the default the current one replaced',
        params: characterParams,
        body: object({ reason: reason('rolled back through the admin API') }),
        response: changeAnswers,
      },
    },
    async (request) => {
      const name = request.params.character;
      await versionsOf(name);
      return requestChange({ action: 'rollback', character: name, reason: request.body.reason });
    },
  );
}

/** The validator's words, not the SDK's wrapper around them. */
function rootMessage(err: WorkflowUpdateFailedError): string {
  const cause = err.cause;
  return cause instanceof Error ? cause.message : err.message;
}

function isDeadlineExceeded(err: unknown): boolean {
  return isGrpcServiceError(err) && err.code === grpcStatus.DEADLINE_EXCEEDED;
}
