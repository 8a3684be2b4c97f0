import { within } from '../within';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { mentionsName } from '../characters/names';
import type { ReplyResult } from '../workflows/contracts/reply';
import { HttpError } from './http';
import { MESSAGE, object, responses, string, text } from './schemas';
import { rosterName, startUndeliveredReply } from './undeliveredReplies';

/** Discord's own message limit; the API takes the same. */
const MAX_QUERY_CHARS = 4000;
/** How long POST /orchestrate waits for the reply before answering 202 with the workflow id. */
const REPLY_WAIT_MS = 120_000;

export interface OrchestrateCharacter {
  name: string;
  aliases: string[];
}

/**
 * POST /orchestrate (the design document's endpoint): {query, user, channel, character?}
 * runs a ReplyWorkflow like a Discord message would, without posting to Discord, and
 * answers with the reply. Without `character`, the first character named in the query
 * answers, else the first of the roster.
 */
export function orchestrateRoutes(
  app: FastifyInstance,
  options: { temporal: Client; taskQueue: string; characters: () => OrchestrateCharacter[] },
): void {
  app.post<{ Body: { query: string; user: string; channel: string; character?: string } }>(
    '/orchestrate',
    {
      schema: {
        summary: 'answer a message in character without Discord (runs ReplyWorkflow)',
        body: object(
          {
            query: text(MAX_QUERY_CHARS, 'the message'),
            user: text(100, 'who asks'),
            channel: text(100, 'conversation (session) id, e.g. a Discord channel id'),
            // Any case: the roster check is the handler's.
            character: string(
              'who answers; default: the first named in the query, else the first of the roster',
              {
                maxLength: 100,
                [MESSAGE]: 'character: expected a name of the roster',
              },
            ),
          },
          ['query', 'user', 'channel'],
        ),
        response: responses(
          { 200: 'the reply', 202: `still running after ${REPLY_WAIT_MS / 1000} s: the workflow id` },
          [400, 413],
        ),
      },
    },
    async (request, reply) => {
      const { query, user, channel } = request.body;
      const character = chooseCharacter(options.characters(), query, request.body.character);
      const handle = await startUndeliveredReply(options, character, {
        messageId: `api-${randomUUID()}`,
        channelId: channel,
        guildId: null,
        authorId: user,
        authorName: user,
        content: query,
        createdAt: new Date().toISOString(),
      });
      const result = await within(handle.result(), REPLY_WAIT_MS, null);
      if (!result) return reply.code(202).send({ status: 'running', workflow_id: handle.workflowId });
      return describeReply(result);
    },
  );
}

function describeReply(result: ReplyResult) {
  return {
    response: result.text,
    character: result.character,
    response_id: result.responseId,
    workflow_id: result.responseId,
    prompt_version: result.promptVersion,
    qc: result.qc,
    used_fallback: result.usedFallback,
    dead_letter_ids: result.deadLetterIds,
  };
}

function chooseCharacter(
  roster: OrchestrateCharacter[],
  query: string,
  requested: string | undefined,
): string {
  if (requested !== undefined) {
    const found = rosterName(roster, requested);
    if (!found)
      throw new HttpError(400, `character: expected one of ${roster.map((c) => c.name).join(', ')}`);
    return found;
  }
  const named = roster.find((c) => c.aliases.some((alias) => mentionsName(query, alias)));
  const first = named ?? roster[0];
  if (!first) throw new HttpError(503, 'no characters configured');
  return first.name;
}
