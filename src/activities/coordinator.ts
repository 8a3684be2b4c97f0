import type { Store } from '../store/mongo';
import { sessionIdFor } from '../store/sessionId';
import { userTurnId } from '../store/conversationHistory';
import { HOURLY_CAP_WINDOW_MS } from '../store/coordinatedAnswers';
import type { UnnamedContext } from '../workflows/contracts/coordinate';

/** Activities of the coordinator: what it knows of a channel's conversation, and the answers it counts. */
export function createCoordinatorActivities(deps: { store: Store }) {
  const { conversationHistory, coordinatedAnswers } = deps.store;
  return {
    /**
     * The conversation around an unnamed message, from the channel's session document (its newest turns;
     * never a scan of conversation_history) and the coordinator's own record of its answers there.
     */
    async loadUnnamedContext(input: {
      channelId: string;
      messageId: string;
      /** ISO time the message was written. */
      at: string;
    }): Promise<UnnamedContext> {
      const [session, answers] = await Promise.all([
        conversationHistory.sessions.get(sessionIdFor(input.channelId)),
        coordinatedAnswers.recent(input.channelId),
      ]);
      const own = userTurnId(input.messageId);
      // Newest first.
      const turns = (session?.recent ?? []).filter((turn) => turn._id !== own).reverse();
      const lastBot = turns.find((turn) => turn.speaker_type === 'BOT');
      const humans = turns.filter((turn) => turn.speaker_type === 'USER');
      // A human turn's `_id` names its Discord message (the session document keeps no other id of it).
      const coordinated = new Set(answers.map((answer) => userTurnId(answer.message_id)));
      // The newest message a human addressed to a character: the coordinator's run starts after it.
      const lastNamed = humans.find((turn) => !coordinated.has(turn._id));
      const at = Date.parse(input.at);
      const earlier = answers.filter((answer) => answer.message_id !== input.messageId);
      return {
        lastSpeaker: lastBot?.bot_name ?? null,
        lastSpeakerAt: lastBot?.timestamp.toISOString() ?? null,
        lastHumanAt: humans[0]?.timestamp.toISOString() ?? null,
        answeredLastHour: earlier.filter((answer) => at - answer.at.getTime() < HOURLY_CAP_WINDOW_MS).length,
        answeredInARow: earlier.filter((answer) => !lastNamed || answer.at > lastNamed.timestamp).length,
      };
    },

    /** Counts an unnamed message the coordinator is having a character answer (its caps read it). */
    async recordCoordinatedAnswer(input: {
      channelId: string;
      messageId: string;
      character: string;
      at: string;
    }): Promise<void> {
      await coordinatedAnswers.record(input.channelId, {
        message_id: input.messageId,
        character: input.character,
        at: new Date(input.at),
      });
    },
  };
}
