/**
 * Rating reactions on the characters' replies, as the bots see them (1️⃣-5️⃣, 👍 = 5, 👎 = 1). Each
 * becomes a UserRatingWorkflow; the bots never touch MongoDB themselves. `/rate` is a slash command
 * (src/bots/commands/rate.ts).
 */
import type { Client as TemporalClient } from '@temporalio/client';
import type { Client, Message } from 'discord.js';
import type { Logger } from '../logger';
import { attachReactionHandler } from './reactions';
import { startWorkflowOnce } from './startWorkflowOnce';
import type { UserRatingWorkflow } from '../workflows/ratings';
import {
  reactionRatingWorkflowId,
  USER_RATING_WORKFLOW_TYPE,
  type UserRatingInput,
} from '../workflows/contracts/ratings';

/** Keycaps 1-5 and thumbs, without variation selectors and skin tones (see reactionScore). */
const SCORES: Record<string, number> = {
  '1\u20e3': 1,
  '2\u20e3': 2,
  '3\u20e3': 3,
  '4\u20e3': 4,
  '5\u20e3': 5,
  '\u{1f44d}': 5, // 👍
  '\u{1f44e}': 1, // 👎
};

/** The score a reaction gives (1️⃣-5️⃣, 👍 5, 👎 1, any skin tone), or null for other emoji. */
export function reactionScore(emojiName: string | null): number | null {
  if (!emojiName) return null;
  const bare = emojiName.replace(/\ufe0f/g, '').replace(/[\u{1f3fb}-\u{1f3ff}]/gu, '');
  return SCORES[bare] ?? null;
}

export interface RatingWiring {
  client: Client;
  /** The character who wrote a message this client posted (its bot's own, or a cast webhook's), else null. */
  authorOf: (message: Message) => string | null;
  temporal: TemporalClient;
  taskQueue: string;
  log: Logger;
}

/** Wires rating reactions into a gateway client (call before login): each added or taken back is a workflow. */
export function attachRatings(options: RatingWiring): void {
  const { temporal, taskQueue, log } = options;
  attachReactionHandler({
    client: options.client,
    authorOf: options.authorOf,
    wants: (emoji) => reactionScore(emoji) !== null,
    what: 'rating reaction handling',
    log,
    async handle({ action, emoji, userId, message, character, eventAt }) {
      const score = reactionScore(emoji) as number;
      const input: UserRatingInput = {
        action: action === 'add' ? 'set' : 'remove',
        score,
        source: `reaction:${emoji}`,
        userId,
        channelId: message.channelId,
        messageId: message.id,
        character,
        feedbackText: '',
        eventAt,
      };
      const workflowId = reactionRatingWorkflowId(message.id, userId, eventAt);
      await startWorkflowOnce<typeof UserRatingWorkflow>(
        temporal,
        USER_RATING_WORKFLOW_TYPE,
        { taskQueue, workflowId, args: [input] },
        log,
      );
      log.info({ workflowId, messageId: message.id, action, score }, 'rating workflow started');
    },
  });
}
