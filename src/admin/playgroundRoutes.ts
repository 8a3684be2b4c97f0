import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/mongo';
import { isWebSession, WEB_SESSION_PREFIX } from '../store/sessionId';
import { within } from '../within';
import type { UserRatingWorkflow } from '../workflows/ratings';
import type { ReplyWorkflow } from '../workflows/reply';
import {
  playgroundRatingWorkflowId,
  USER_RATING_WORKFLOW_TYPE,
  type UserRatingOutcome,
} from '../workflows/contracts/ratings';
import { REPLY_WORKFLOW_TYPE, type ReplyInput } from '../workflows/contracts/reply';
import { HttpError } from './http';
import { integer, MESSAGE, object, param, pathParams, responses, string, text } from './schemas';
import { qcView, snippetView } from './turnViews';
import { rosterName, startUndeliveredReply } from './undeliveredReplies';

/** Discord's own message limit, as for POST /orchestrate. */
const MAX_TEXT_CHARS = 4000;
/** Characters one playground message may go to (each runs a reply on the LLM). */
const MAX_PLAYGROUND_CHARACTERS = 10;
const SESSION = '^web:[\\w-]{1,64}$';
/** A playground reply's workflow (= response) id: replyWorkflowId of a `web-<uuid>` message. */
const PLAYGROUND_REPLY = 'reply-web-[\\w-]{1,100}';
/**
 * Any ReplyWorkflow's id (replyWorkflowId, `-replay` appended for a dead letter's replay): GET
 * /playground/replies reads back Discord and API replies too (the dead-letters page shows a replay's).
 */
const ANY_REPLY = 'reply-[\\w-]{1,200}';
/** How long rating a reply waits for UserRatingWorkflow (a few local activities). */
const RATING_WAIT_MS = 15_000;
/** Who the playground's user is in conversation_history (its user turns' author). */
const PLAYGROUND_AUTHOR = 'playground';

export interface PlaygroundOptions {
  store: Store;
  temporal: Client;
  taskQueue: string;
  characters: () => Array<{ name: string }>;
}

/**
 * The playground: talk to the characters without Discord. POST /playground/messages starts one
 * ReplyWorkflow per chosen character (the same workflow a Discord message starts, not delivered), in a
 * web session `web:<id>` stored like a channel; GET /playground/replies/:workflow_id reads one back
 * (running, or the reply with its QC result, prompt version, wiki snippets, latency and fallback flag),
 * or any other ReplyWorkflow's, e.g. a dead letter's replay;
 * POST /playground/ratings rates a reply as a USER_SUBMITTED rating through UserRatingWorkflow, as a
 * Discord reaction does (the session is the user: one rating per session and reply).
 */
export function playgroundRoutes(app: FastifyInstance, options: PlaygroundOptions): void {
  const { store, temporal } = options;

  /** A reply's workflow: running, failed, or done with its result and latency (start to close). */
  const readReply = async (workflowId: string) => {
    const handle = temporal.workflow.getHandle<typeof ReplyWorkflow>(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, `no reply ${workflowId}`);
      throw err;
    }
    if (description.type !== REPLY_WORKFLOW_TYPE) throw new HttpError(404, `no reply ${workflowId}`);
    const status = description.status.name;
    if (status === 'RUNNING') return { status: 'running' as const };
    if (status !== 'COMPLETED')
      return { status: 'failed' as const, error: `the reply workflow ${status.toLowerCase()}` };
    const latencyMs = (description.closeTime ?? new Date()).getTime() - description.startTime.getTime();
    return { status: 'done' as const, result: await handle.result(), latencyMs };
  };
  /** The snippets stored on a reply's bot turn (replies from before ReplyResult carried them). */
  const storedContext = async (responseId: string) =>
    (await store.conversationHistory.findByResponseId(responseId))?.rag_context_used ?? [];

  const charactersProblem = `characters: expected 1-${MAX_PLAYGROUND_CHARACTERS} names of the roster`;
  app.post<{ Body: { session_id?: string; text: string; characters: string[] } }>(
    '/playground/messages',
    {
      schema: {
        summary: 'send a message to one or more characters in a web session',
        body: object(
          {
            session_id: string('a web session from an earlier message (absent: a new one)', {
              pattern: SESSION,
              [MESSAGE]: 'session_id: expected web:<id> from an earlier answer',
            }),
            text: text(MAX_TEXT_CHARS, 'the message'),
            characters: {
              type: 'array',
              items: text(100, 'a character of the roster (any case)', { [MESSAGE]: charactersProblem }),
              minItems: 1,
              maxItems: MAX_PLAYGROUND_CHARACTERS,
              [MESSAGE]: charactersProblem,
            },
          },
          ['text', 'characters'],
        ),
        response: responses(
          { 202: '{session_id, message_id, replies: [{character, workflow_id}]}' },
          [400, 413],
        ),
      },
    },
    async (request, reply) => {
      const { text, session_id: sessionId = `${WEB_SESSION_PREFIX}${randomUUID()}` } = request.body;
      const characters = chosenCharacters(request.body.characters, options.characters());
      const messageId = `web-${randomUUID()}`;
      const message: ReplyInput['message'] = {
        messageId,
        channelId: sessionId,
        guildId: null,
        authorId: sessionId,
        authorName: PLAYGROUND_AUTHOR,
        content: text,
        createdAt: new Date().toISOString(),
      };
      const replies = await Promise.all(
        characters.map(async (character) => {
          const handle = await startUndeliveredReply(options, character, message);
          return { character, workflow_id: handle.workflowId };
        }),
      );
      return reply.code(202).send({ session_id: sessionId, message_id: messageId, replies });
    },
  );

  app.get<{ Params: { workflow_id: string } }>(
    `/playground/replies/${param('workflow_id', ANY_REPLY)}`,
    {
      schema: {
        summary:
          'a reply (from the playground, or any ReplyWorkflow, e.g. a replay): running, done (with QC, ' +
          'prompt version, snippets, latency) or failed',
        params: pathParams({ workflow_id: ANY_REPLY }),
        response: responses(
          {
            200:
              '{status: running | done | failed, reply?: {character, text, response_id, prompt_version, qc, ' +
              'snippets: [{title, url, text}], latency_ms, used_fallback}, error?}',
          },
          [404],
        ),
      },
    },
    async (request) => {
      const read = await readReply(request.params.workflow_id);
      if (read.status !== 'done') return read;
      const { result, latencyMs } = read;
      return {
        status: 'done',
        reply: {
          character: result.character,
          text: result.text,
          response_id: result.responseId,
          prompt_version: result.promptVersion,
          qc: qcView(result.qc),
          snippets: (result.contextUsed ?? (await storedContext(result.responseId))).map(snippetView),
          latency_ms: latencyMs,
          used_fallback: result.usedFallback,
          dead_letter_ids: result.deadLetterIds,
        },
      };
    },
  );

  app.post<{ Body: { response_id: string; score: number } }>(
    '/playground/ratings',
    {
      schema: {
        summary: 'rate a playground reply (a USER_SUBMITTED rating, like a Discord reaction)',
        body: object({ response_id: text(200, 'the reply'), score: integer(1, 5) }, ['response_id', 'score']),
        response: responses(
          { 200: '{status: recorded | updated | superseded, rating_id, response_id, character, score}' },
          [400, 404, 409, 413, 422, 503],
        ),
      },
    },
    async (request) => {
      const { response_id: responseId, score } = request.body;
      const read = new RegExp(`^${PLAYGROUND_REPLY}$`).test(responseId) ? await readReply(responseId) : null;
      if (read?.status !== 'done') {
        if (read?.status === 'running') throw new HttpError(409, `reply ${responseId} is not done yet`);
        throw new HttpError(404, `no playground reply ${responseId}`);
      }
      const { character } = read.result;
      const sessionId =
        read.result.sessionId ?? (await store.conversationHistory.findByResponseId(responseId))?.session_id;
      if (!sessionId || !isWebSession(sessionId))
        throw new HttpError(404, `no playground reply ${responseId}`);
      const eventAt = Date.now();
      const outcome = await within(
        temporal.workflow.execute<typeof UserRatingWorkflow>(USER_RATING_WORKFLOW_TYPE, {
          workflowId: playgroundRatingWorkflowId(responseId, eventAt),
          taskQueue: options.taskQueue,
          args: [
            {
              action: 'set',
              score,
              source: 'playground',
              userId: sessionId,
              // A web session is its own channel.
              channelId: sessionId,
              messageId: null,
              responseId,
              character,
              feedbackText: '',
              eventAt,
            },
          ],
        }),
        RATING_WAIT_MS,
        null,
      );
      if (!outcome)
        throw new HttpError(503, `no worker recorded the rating within ${RATING_WAIT_MS / 1000} s`);
      return ratingAnswer(outcome, responseId);
    },
  );
}

/** The roster names a message is for (any case, each once); 400 for a name not in the roster. */
function chosenCharacters(names: string[], roster: Array<{ name: string }>): string[] {
  const chosen = names.map((name) => {
    const found = rosterName(roster, name);
    if (!found)
      throw new HttpError(400, `characters: expected names among ${roster.map((c) => c.name).join(', ')}`);
    return found;
  });
  return [...new Set(chosen)];
}

/** A rating's outcome as the route answers it: 200 when it was recorded, else why not. */
function ratingAnswer(outcome: UserRatingOutcome, responseId: string) {
  if (outcome.status === 'fallback')
    throw new HttpError(
      422,
      'this reply is the fallback line (the LLM failed): it says nothing about the prompt',
    );
  // not-a-reply: the reply is gone, or not in the session the rating names.
  if (!('ratingId' in outcome)) throw new HttpError(404, `no playground reply ${responseId}`);
  return {
    status: outcome.status,
    rating_id: outcome.ratingId,
    response_id: outcome.responseId,
    character: outcome.character,
    score: outcome.score,
  };
}
