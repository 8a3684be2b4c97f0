/**
 * Regeneration as the bots see it: 🔄 on a character's reply (and /regenerate, src/bots/commands/regenerate.ts)
 * starts a RegenerateWorkflow, which checks that the reply answered this user and replaces it.
 */
import type { Client as TemporalClient } from '@temporalio/client';
import type { Client, Message } from 'discord.js';
import type { Logger } from '../logger';
import type { RegenerateWorkflow } from '../workflows/regenerate';
import {
  REGENERATE_WORKFLOW_TYPE,
  reactionRegenerateWorkflowId,
  type RegenerateInput,
} from '../workflows/contracts/regenerate';
import { attachReactionHandler } from './reactions';
import { startWorkflowOnce } from './startWorkflowOnce';

/** 🔄 (counterclockwise arrows), with or without the variation selector. */
export function isRegenerateEmoji(emoji: string): boolean {
  return emoji.replace(/\ufe0f/g, '') === '\u{1f504}';
}

/**
 * Starts a regeneration. A reaction's run is keyed by the reacted message and the user, and may start
 * again once the last one finished (🔄 taken away and added again regenerates again); a command's by its
 * interaction. `duplicate`: a run under that id is going on (a double click) or, for a command, ran already.
 */
export function startRegeneration(
  temporal: TemporalClient,
  options: { taskQueue: string; workflowId: string; input: RegenerateInput; reusable: boolean },
  log: Logger,
) {
  return startWorkflowOnce<typeof RegenerateWorkflow>(
    temporal,
    REGENERATE_WORKFLOW_TYPE,
    {
      taskQueue: options.taskQueue,
      workflowId: options.workflowId,
      args: [options.input],
      ...(options.reusable && { workflowIdReusePolicy: 'ALLOW_DUPLICATE' }),
    },
    log,
  );
}

/** Wires 🔄 into a gateway client (call before login): added on a message it posted, it asks for a new reply. */
export function attachRegenerateReactions(wiring: {
  client: Client;
  /** The character who wrote a message this client posted (its bot's own, or a cast webhook's), else null. */
  authorOf: (message: Message) => string | null;
  temporal: TemporalClient;
  taskQueue: string;
  log: Logger;
}): void {
  const { temporal, taskQueue, log } = wiring;
  attachReactionHandler({
    client: wiring.client,
    authorOf: wiring.authorOf,
    wants: (emoji, action) => action === 'add' && isRegenerateEmoji(emoji),
    what: 'regenerate reaction handling',
    log,
    async handle({ userId, userName, message, character }) {
      const workflowId = reactionRegenerateWorkflowId(message.id, userId);
      const input: RegenerateInput = {
        userId,
        userName: userName ?? 'User',
        channelId: message.channelId,
        messageId: message.id,
        characters: [character],
        source: 'reaction',
      };
      const { duplicate } = await startRegeneration(
        temporal,
        { taskQueue, workflowId, input, reusable: true },
        log,
      );
      log.info(
        { workflowId, messageId: message.id, duplicate },
        duplicate ? 'regeneration already running' : 'regeneration started',
      );
    },
  });
}
