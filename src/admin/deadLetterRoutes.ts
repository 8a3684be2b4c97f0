import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEAD_LETTER_STATUSES, type DeadLetter } from '../store/deadLetterQueue';
import type { Store } from '../store/mongo';
import { HttpError, optionalString, readJsonObject, type Route } from './http';
import { replayPlan } from './replay';

const MAX_LIST = 500;

/**
 * The dead-letter queue: GET /dead_letters?status=&limit= lists entries, GET
 * /dead_letters/:id shows one, POST /dead_letters/:id/replay runs it again through its
 * original workflow, POST /dead_letters/:id/discard closes it without replaying.
 */
export function deadLetterRoutes(options: { store: Store; temporal: Client; taskQueue: string }): Route[] {
  const { deadLetterQueue } = options.store;
  const pendingEntry = async (id: string): Promise<DeadLetter> => {
    const entry = await deadLetterQueue.get(id);
    if (!entry) throw new HttpError(404, `no dead letter ${id}`);
    if (entry.status !== 'PENDING') throw new HttpError(409, `dead letter ${id} is already ${entry.status}`);
    return entry;
  };
  const by = async (req: Parameters<Route['handle']>[0]) =>
    optionalString(await readJsonObject(req), 'by', 100) ?? 'admin';
  const idPath = (suffix = '') => new RegExp(`^/dead_letters/(?<id>[^/]{1,512})${suffix}$`);

  return [
    {
      method: 'GET',
      path: /^\/dead_letters$/,
      handle: async (req) => {
        const query = new URL(req.url ?? '/', 'http://admin').searchParams;
        const status = (query.get('status') ?? 'PENDING').toUpperCase();
        if (!DEAD_LETTER_STATUSES.includes(status as DeadLetter['status']))
          throw new HttpError(400, `status: expected one of ${DEAD_LETTER_STATUSES.join(', ')}`);
        const limit = Number(query.get('limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST)
          throw new HttpError(400, `limit: expected an integer 1-${MAX_LIST}`);
        return [
          200,
          {
            counts: await deadLetterQueue.counts(),
            dead_letters: await deadLetterQueue.list(status as DeadLetter['status'], limit),
          },
        ];
      },
    },
    {
      method: 'GET',
      path: idPath(),
      handle: async (_req, { id }) => {
        const entry = await deadLetterQueue.get(decodeURIComponent(id as string));
        if (!entry) throw new HttpError(404, `no dead letter ${id}`);
        return [200, entry];
      },
    },
    {
      method: 'POST',
      path: idPath('/replay'),
      handle: async (req, { id }) => {
        const who = await by(req);
        const entry = await pendingEntry(decodeURIComponent(id as string));
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
          who,
        );
        return [202, { id: entry._id, status: 'REPLAYED', replay_workflow_id: plan.workflowId }];
      },
    },
    {
      method: 'POST',
      path: idPath('/discard'),
      handle: async (req, { id }) => {
        const who = await by(req);
        const entry = await pendingEntry(decodeURIComponent(id as string));
        if (!(await deadLetterQueue.resolve(entry._id, { status: 'DISCARDED' }, who)))
          throw new HttpError(409, `dead letter ${entry._id} was resolved meanwhile`);
        return [200, { id: entry._id, status: 'DISCARDED' }];
      },
    },
  ];
}
