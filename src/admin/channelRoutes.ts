import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { UNNAMED_MESSAGE_MODES, type ChannelSettingsPatch } from '../store/channelSettings';
import type { Store } from '../store/mongo';
import type { ForgetChannelWorkflow } from '../workflows/memory';
import { FORGET_CHANNEL_WORKFLOW_TYPE, forgetChannelWorkflowId } from '../workflows/contracts/memory';
import { HttpError } from './http';
import { MESSAGE, object, pathParams, responses } from './schemas';

const MAX_SCENARIO_CHARS = 4000;
const CHANNEL = '[\\w-]{1,64}';
const channelParams = pathParams({ id: CHANNEL });
type ChannelRoute = { Params: { id: string } };

/**
 * Casts, scenarios and follow-up settings per channel: GET /channels, GET|PUT|DELETE /channels/:id.
 * A cast lists who is present (others stay silent there, even when named); null is everyone.
 * POST /channels/:id/forget is Discord's /forget (ForgetChannelWorkflow).
 */
export function channelRoutes(
  app: FastifyInstance,
  options: { store: Store; temporal: Client; taskQueue: string },
): void {
  const { channelSettings, characterRoster } = options.store;

  /** The cast in roster spelling; a name the roster lacks is refused. */
  const rosterNames = async (cast: string[]): Promise<string[]> => {
    const roster = await characterRoster.list({ includeRetired: true });
    const byLowerName = new Map(roster.map((c) => [c.name.toLowerCase(), c.name]));
    const unknown = cast.filter((name) => !byLowerName.has(name.toLowerCase()));
    if (unknown.length > 0)
      throw new HttpError(
        400,
        `cast: no character named ${unknown.map((n) => `"${n}"`).join(', ')} (the roster: ${roster.map((c) => c.name).join(', ')})`,
      );
    return [...new Set(cast.map((name) => byLowerName.get(name.toLowerCase()) as string))];
  };

  app.get(
    '/channels',
    { schema: { summary: 'every channel with its own settings', response: responses({ 200: 'channels' }) } },
    async () => ({ channels: await channelSettings.list() }),
  );

  app.get<ChannelRoute>(
    '/channels/:id',
    {
      schema: {
        summary: "a channel's settings",
        params: channelParams,
        response: responses(
          { 200: 'cast, scenario, follow_up_max_chain, live_replies, unnamed_messages, join_chance' },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const settings = await channelSettings.get(request.params.id);
      if (!settings) throw new HttpError(404, `channel ${request.params.id} has no settings of its own`);
      return settings;
    },
  );

  app.put<ChannelRoute & { Body: ChannelSettingsPatch }>(
    '/channels/:id',
    {
      schema: {
        summary:
          "change a channel's cast, scenario, follow-up cap, live replies or who answers unnamed messages (null: as everywhere)",
        params: channelParams,
        body: {
          ...object({
            cast: {
              type: ['array', 'null'],
              items: { type: 'string', minLength: 1, maxLength: 32 },
              maxItems: 100,
              [MESSAGE]: 'cast: expected an array of character names, or null (everyone)',
            },
            scenario: {
              type: ['string', 'null'],
              minLength: 1,
              maxLength: MAX_SCENARIO_CHARS,
              [MESSAGE]: `scenario: expected 1-${MAX_SCENARIO_CHARS} characters, or null`,
            },
            follow_up_max_chain: {
              type: ['integer', 'null'],
              minimum: 0,
              maximum: 20,
              [MESSAGE]: 'follow_up_max_chain: expected an integer 0-20, or null (FOLLOW_UP_MAX_CHAIN)',
            },
            live_replies: {
              type: ['boolean', 'null'],
              [MESSAGE]: 'live_replies: expected true, false, or null (LIVE_REPLIES)',
            },
            unnamed_messages: {
              type: ['string', 'null'],
              enum: [...UNNAMED_MESSAGE_MODES, null],
              description: 'who answers a message naming no character here; null: UNNAMED_MESSAGES',
              [MESSAGE]: `unnamed_messages: expected ${UNNAMED_MESSAGE_MODES.join(' or ')}, or null (UNNAMED_MESSAGES)`,
            },
            join_chance: {
              type: ['number', 'null'],
              minimum: 0,
              maximum: 1,
              description:
                "the coordinator's chance of joining outside a conversation; null: UNNAMED_JOIN_CHANCE",
              [MESSAGE]: 'join_chance: expected a number 0-1, or null (UNNAMED_JOIN_CHANCE)',
            },
          }),
          minProperties: 1,
          [MESSAGE]:
            'expected at least one of cast, scenario, follow_up_max_chain, live_replies, unnamed_messages, join_chance',
        },
        response: responses({ 200: 'the settings as now' }, [400, 413]),
      },
    },
    async (request) => {
      const patch = { ...request.body };
      if (patch.cast) patch.cast = await rosterNames(patch.cast);
      return channelSettings.put(request.params.id, patch, 'admin');
    },
  );

  app.delete<ChannelRoute>(
    '/channels/:id',
    {
      schema: {
        summary: "remove a channel's settings (everything as everywhere)",
        params: channelParams,
        response: responses({ 200: '{deleted: channel id}' }, [400, 404]),
      },
    },
    async (request) => {
      if (!(await channelSettings.delete(request.params.id)))
        throw new HttpError(404, `channel ${request.params.id} has no settings of its own`);
      return { deleted: request.params.id };
    },
  );

  app.post<ChannelRoute>(
    '/channels/:id/forget',
    {
      schema: {
        summary:
          "the characters forget the channel's conversation so far, as /forget in Discord (the turns stay in conversation_history)",
        params: channelParams,
        response: responses({ 200: '{session_id, forgotten_through_turn_id}' }, [400]),
      },
    },
    async (request) => {
      const result = await options.temporal.workflow.execute<typeof ForgetChannelWorkflow>(
        FORGET_CHANNEL_WORKFLOW_TYPE,
        {
          workflowId: forgetChannelWorkflowId(`admin-${randomUUID()}`),
          taskQueue: options.taskQueue,
          args: [{ channelId: request.params.id, requestedBy: 'admin' }],
        },
      );
      return { session_id: result.sessionId, forgotten_through_turn_id: result.forgottenThroughTurnId };
    },
  );
}
