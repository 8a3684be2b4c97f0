import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { DEAD_LETTER_STATUSES, type DeadLetter } from '../store/deadLetterQueue';
import type { Store } from '../store/mongo';
import { HttpError } from './http';
import { limit, object, query, responses, string, text } from './schemas';
import { replayPlan } from './replay';

const MAX_LIST = 500;
/** A dead letter's id is `<workflow id>:<step>`, URL-encoded in the path. */
const idParams = object({ id: string('the entry id, URL-encoded', { maxLength: 512 }) }, ['id']);
const byBody = object({ by: text(100, 'who resolves it', { default: 'admin' }) });

/**
 * The dead-letter queue: GET /dead_letters?status=&limit= lists entries, GET
 * /dead_letters/:id shows one, POST /dead_letters/:id/replay runs it again through its
 * original workflow, POST /dead_letters/:id/discard closes it without replaying.
 */
export function deadLetterRoutes(
  app: FastifyInstance,
  options: { store: Store; temporal: Client; taskQueue: string },
): void {
  const { deadLetterQueue } = options.store;
  const pendingEntry = async (id: string): Promise<DeadLetter> => {
    const entry = await deadLetterQueue.get(id);
    if (!entry) throw new HttpError(404, `no dead letter ${id}`);
    if (entry.status !== 'PENDING') throw new HttpError(409, `dead letter ${id} is already ${entry.status}`);
    return entry;
  };
  type IdRoute = { Params: { id: string } };
  type ResolveRoute = IdRoute & { Body: { by: string } };

  app.get<{ Querystring: { status: DeadLetter['status']; limit: number } }>(
    '/dead_letters',
    {
      schema: {
        summary: 'dead-letter entries and counts',
        querystring: query({
          status: string('any case', { enum: [...DEAD_LETTER_STATUSES], default: 'PENDING' }),
          limit: limit(MAX_LIST, 50),
        }),
        response: responses({ 200: 'counts and entries' }, [400]),
      },
      // The schema lists the statuses in capitals; a client may write them in any case.
      preValidation: (request, _reply, done) => {
        const query = request.query as Record<string, unknown>;
        if (typeof query.status === 'string') query.status = query.status.toUpperCase();
        done();
      },
    },
    async (request) => ({
      counts: await deadLetterQueue.counts(),
      dead_letters: await deadLetterQueue.list(request.query.status, request.query.limit),
    }),
  );

  app.get<IdRoute>(
    '/dead_letters/:id',
    {
      schema: { summary: 'one entry', params: idParams, response: responses({ 200: 'the entry' }, [404]) },
    },
    async (request) => {
      const entry = await deadLetterQueue.get(request.params.id);
      if (!entry) throw new HttpError(404, `no dead letter ${request.params.id}`);
      return entry;
    },
  );

  app.post<ResolveRoute>(
    '/dead_letters/:id/replay',
    {
      schema: {
        summary: 'run the failed step again through its workflow',
        params: idParams,
        body: byBody,
        response: responses({ 202: 'the replay workflow id' }, [400, 404, 409, 413, 422]),
      },
    },
    async (request, reply) => {
      const entry = await pendingEntry(request.params.id);
      let plan;
      try {
        plan = replayPlan(entry);
      } catch (err) {
        throw new HttpError(422, (err as Error).message);
      }
      try {
        await options.temporal.workflow.start(plan.workflowType, {
          workflowId: plan.workflowId,
          taskQueue: options.taskQueue,
          args: plan.args,
        });
      } catch (err) {
        // Started by an earlier attempt (or another admin): this replay exists already.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      await deadLetterQueue.resolve(
        entry._id,
        { status: 'REPLAYED', replay_workflow_id: plan.workflowId },
        request.body.by,
      );
      return reply.code(202).send({ id: entry._id, status: 'REPLAYED', replay_workflow_id: plan.workflowId });
    },
  );

  app.post<ResolveRoute>(
    '/dead_letters/:id/discard',
    {
      schema: {
        summary: 'close an entry without replaying',
        params: idParams,
        body: byBody,
        response: responses({ 200: 'the new status' }, [400, 404, 409, 413]),
      },
    },
    async (request) => {
      const entry = await pendingEntry(request.params.id);
      if (!(await deadLetterQueue.resolve(entry._id, { status: 'DISCARDED' }, request.body.by)))
        throw new HttpError(409, `dead letter ${entry._id} was resolved meanwhile`);
      return { id: entry._id, status: 'DISCARDED' };
    },
  );
}
