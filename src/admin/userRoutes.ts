import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/mongo';
import type { ForgetUserWorkflow } from '../workflows/forgetUser';
import { FORGET_USER_WORKFLOW_TYPE, forgetUserWorkflowId } from '../workflows/contracts/forgetUser';
import { pathParams, responses } from './schemas';

/** A Discord user id (a snowflake). */
const userParams = pathParams({ id: '\\d{15,25}' });
type UserRoute = { Params: { id: string } };

/**
 * A Discord user's data: POST /users/:id/forget is Discord's /forget-me done by an admin
 * (ForgetUserWorkflow), GET /users/:id/deletions the record of each time it was done.
 */
export function userRoutes(
  app: FastifyInstance,
  options: { store: Store; temporal: Client; taskQueue: string },
): void {
  app.post<UserRoute>(
    '/users/:id/forget',
    {
      schema: {
        summary:
          "delete a user's own turns, their ratings, the notes about them and the summaries written from their turns, as /forget-me does; recorded in data_deletions",
        params: userParams,
        response: responses({ 200: '{deletion_id, counts}: documents deleted per collection' }, [400]),
      },
    },
    async (request) => {
      const userId = request.params.id;
      const result = await options.temporal.workflow.execute<typeof ForgetUserWorkflow>(
        FORGET_USER_WORKFLOW_TYPE,
        {
          workflowId: forgetUserWorkflowId(userId, `admin-${randomUUID()}`),
          taskQueue: options.taskQueue,
          args: [{ userId, requestedBy: 'admin', requestedAt: new Date().toISOString() }],
        },
      );
      return { deletion_id: result.deletionId, counts: result.counts };
    },
  );

  app.get<UserRoute>(
    '/users/:id/deletions',
    {
      schema: {
        summary: "each time a user's data was deleted: when, at whose request, counts per collection",
        params: userParams,
        response: responses({ 200: '{deletions}' }, [400]),
      },
    },
    async (request) => ({ deletions: await options.store.dataDeletions.forUser(request.params.id) }),
  );
}
