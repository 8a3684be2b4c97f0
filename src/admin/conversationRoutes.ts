import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/mongo';
import { limit, MESSAGE, param, pathParams, query, responses, string } from './schemas';
import { turnView } from './turnViews';

const MAX_SESSIONS = 500;
const MAX_TURNS = 200;
/** `discord:<channel id>` or `web:<id>` (URL-encoded in the path: the colon). */
const SESSION = '[\\w:-]{1,128}';
/** The page cursor: a turn id. */
const CURSOR = '^[1-9]\\d{0,15}$';

/**
 * Conversations for the dashboard: GET /conversations lists the sessions (channels and playground
 * sessions) that spoke most recently, from conversation_sessions (one small document each); GET
 * /conversations/:session/turns pages through one's turns, newest first, each bot turn with its prompt
 * version, QC result, wiki snippets and raw vs final text.
 */
export function conversationRoutes(app: FastifyInstance, options: { store: Store }): void {
  const { conversationHistory } = options.store;

  app.get<{ Querystring: { limit: number } }>(
    '/conversations',
    {
      schema: {
        summary: 'sessions, the most recently active first',
        querystring: query({ limit: limit(MAX_SESSIONS, 50) }),
        response: responses({ 200: '{sessions: [{session_id, channel_id, last_turn_at, turns}]}' }, [400]),
      },
    },
    async (request) => {
      const sessions = await conversationHistory.sessions.list(request.query.limit);
      return {
        sessions: sessions.map((session) => ({
          session_id: session._id,
          channel_id: session.channel_id,
          last_turn_at: session.last_turn_at,
          turns: session.last_turn_id,
        })),
      };
    },
  );

  app.get<{ Params: { session: string }; Querystring: { before?: string; limit: number } }>(
    `/conversations/${param('session', SESSION)}/turns`,
    {
      schema: {
        summary: "a page of a session's turns, newest first",
        params: pathParams({ session: SESSION }),
        querystring: query({
          before: string('the cursor: next_before of the previous page (absent: the newest turns)', {
            pattern: CURSOR,
            [MESSAGE]: 'before: expected the next_before of a previous page',
          }),
          limit: limit(MAX_TURNS, 50),
        }),
        response: responses(
          { 200: '{turns, next_before}: next_before is null after the oldest turn' },
          [400],
        ),
      },
    },
    async (request) => {
      const { before, limit } = request.query;
      const turns = await conversationHistory.turnsPage(
        request.params.session,
        before === undefined ? null : Number(before),
        limit,
      );
      const oldest = turns.at(-1)?.turn_id ?? 1;
      return {
        turns: turns.map(turnView),
        next_before: turns.length === limit && oldest > 1 ? String(oldest) : null,
      };
    },
  );
}
