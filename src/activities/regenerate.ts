import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DiscordPoster } from '../discord/rest';
import { reviseParts } from '../discord/reviseParts';
import type { ConversationTurn } from '../store/conversationHistory';
import type { Store } from '../store/mongo';
import { asDiscordFailure, heartbeatedIds } from './delivery';
import type {
  RegenerateInput,
  RegenerationLookup,
  RegenerationRecord,
} from '../workflows/contracts/regenerate';

export interface ReviseInput {
  /** The regeneration's own key: new parts are posted with nonces derived from it. */
  revisionId: string;
  character: string;
  channelId: string;
  /** The parts showing the reply now. */
  posted: string[];
  text: string;
  replyTo: string | null;
}

/** Regenerating a reply: finding it (and whether this user may), editing it in Discord, recording the new candidate. */
export function createRegenerateActivities(deps: {
  store: Store;
  discord: DiscordPoster;
  regenerateMaxPerReply: number;
}) {
  const { conversationHistory, characterPrompts, channelSettings, fineTuningData } = deps.store;
  const limit = deps.regenerateMaxPerReply;

  /** The reply a request names: the turn of a posted part, or the newest reply to the user by `characters`. */
  async function requestedTurn(
    input: Pick<RegenerateInput, 'channelId' | 'messageId' | 'characters' | 'userId'>,
  ): Promise<ConversationTurn | null> {
    if (input.messageId === null) {
      return conversationHistory.findLatestReplyTo(input.channelId, input.characters, input.userId);
    }
    const recent = await conversationHistory.findBotTurnByMessageId(input.channelId, input.messageId);
    return recent?.response_id ? conversationHistory.findByResponseId(recent.response_id) : null;
  }

  return {
    /**
     * The reply to regenerate and what it was written from, or why it cannot be: no reply, the reply
     * of someone else's message (a follow-up to a character's line answers no one), an organic starter,
     * a fallback line, or the limit reached.
     */
    async findRegeneration(
      input: Pick<RegenerateInput, 'channelId' | 'messageId' | 'characters' | 'userId'>,
    ): Promise<RegenerationLookup> {
      const turn = await requestedTurn(input);
      const posted = turn?.delivered_message_ids ?? [];
      if (!turn?.bot_name || !turn.response_id || posted.length === 0) {
        return { status: 'nothing', named: input.messageId !== null };
      }
      const character = turn.bot_name;
      if (turn.is_organic_initiation) return { status: 'not-regenerable', character, why: 'organic' };
      if (turn.llm_response_raw === null) return { status: 'not-regenerable', character, why: 'fallback' };
      const answered = turn.reply_to_message_id
        ? await conversationHistory.findUserTurn(turn.reply_to_message_id)
        : null;
      if (!answered || answered.user_id !== input.userId) return { status: 'not-yours', character };
      const candidates = turn.candidates ?? [];
      if (Math.max(candidates.length - 1, 0) >= limit) return { status: 'limit-reached', character, limit };
      const version = turn.prompt_version_used ?? null;
      const [versioned, channel] = await Promise.all([
        version ? characterPrompts.findVersion(character, version) : null,
        channelSettings.get(turn.channel_id),
      ]);
      // A version deleted since: the character's default now.
      const written = versioned ?? (await characterPrompts.findDefault(character));
      if (!written) {
        throw ApplicationFailure.nonRetryable(`no prompt for character "${character}"`, 'UnknownCharacter');
      }
      return {
        status: 'found',
        target: {
          responseId: turn.response_id,
          character,
          channelId: turn.channel_id,
          postedMessageIds: posted,
          replyToMessageId: answered.original_message_id ?? (turn.reply_to_message_id as string),
          answeredTurn: { session_id: answered.session_id, turn_id: answered.turn_id },
          userMessage: answered.message_content,
          userName: answered.user_name ?? null,
          promptVersion: written.prompt_version,
          promptText: written.prompt_text,
          scenario: channel?.scenario ?? null,
          ragContextUsed: turn.rag_context_used,
          candidateTexts: candidates.length > 0 ? candidates.map((c) => c.text) : [turn.message_content],
          limit,
        },
      };
    },

    /**
     * Edits the reply's parts to the new text in place (posting parts it now needs, deleting those it no
     * longer does); returns the parts showing it. A retry carries on from the parts of its last heartbeat.
     */
    async reviseReply(input: ReviseInput): Promise<string[]> {
      const posted = heartbeatedIds() ?? input.posted;
      try {
        return await reviseParts(
          deps.discord,
          {
            character: input.character,
            channelId: input.channelId,
            posted,
            text: input.text,
            replyTo: input.replyTo,
            idempotencyPrefix: input.revisionId,
          },
          (ids) => Context.current().heartbeat(ids),
        );
      } catch (err) {
        throw asDiscordFailure(err);
      }
    },

    /**
     * Records the new candidate as the one that stands (conversation_history and the session document)
     * and the one it replaced as dispreferred: a USER_REGENERATED entry of fine_tuning_data.
     */
    async recordRegeneration(record: RegenerationRecord): Promise<void> {
      const chosen = await conversationHistory.chooseCandidate(
        record.responseId,
        record.index,
        {
          text: record.text,
          raw: record.raw,
          created_at: new Date(),
          source: 'regenerate',
          requested_by: record.requestedBy,
          prompt_version: record.promptVersion,
          qc_score: record.qc?.score ?? null,
        },
        { deliveredMessageIds: record.postedMessageIds, qcResult: record.qc },
      );
      if (!chosen) throw new Error(`bot turn of ${record.responseId} not found`);
      await fineTuningData.record({
        _id: `regen:${record.responseId}:${chosen.replacedIndex}`,
        response_id: record.responseId,
        rating_type: 'USER_REGENERATED',
        rating_score: 1,
        feedback_text: 'replaced by a regeneration',
        rated_by: record.requestedBy,
        timestamp: new Date(),
        prompt_version_used: chosen.replaced.prompt_version,
        character_name: record.character,
        response_text: chosen.replaced.text,
      });
    },
  };
}
