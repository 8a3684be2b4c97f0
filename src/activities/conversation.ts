import { ApplicationFailure } from '@temporalio/activity';
import type { HistoryLine } from '../llm/prompt';
import { pickPromptVersion } from '../prompts/abSplit';
import {
  botTurnId,
  userTurnId,
  type QcTurnResult,
  type RagSnippet,
  type TurnRef,
} from '../store/conversationHistory';
import type { Store } from '../store/mongo';
import { sessionIdFor } from '../store/sessionId';
import type { ChannelActivity } from '../workflows/contracts/organic';
import type { PromptChoice } from '../store/characterPrompts';
import type { IncomingMessage, LoreAndScenario } from '../workflows/contracts/reply';
import { selectLore } from '../lore/match';
import { loreSnippet } from '../lore/snippet';
import type { LiveReplySettings } from './llm';

export interface BotTurnInput {
  responseId: string;
  character: string;
  channelId: string;
  replyToMessageId: string | null;
  promptVersion: string;
  ragContextUsed: RagSnippet[];
  llmResponseRaw: string | null;
  llmResponseFinal: string;
  isOrganicInitiation: boolean;
  qcResult: QcTurnResult | null;
  /** The Discord ids of the posted parts, when the turn is stored after posting (absent: none yet). */
  deliveredMessageIds?: string[];
}

/** Activities over conversation_history and character_prompts. */
export function createConversationActivities(deps: {
  store: Store;
  historyWindow: number;
  live: Pick<LiveReplySettings, 'byDefault' | 'botCharacters'>;
}) {
  const { conversationHistory, characterPrompts, lorebooks, channelSettings, conversationForgets } =
    deps.store;
  return {
    async persistUserTurn(message: IncomingMessage): Promise<TurnRef> {
      return conversationHistory.appendTurn({
        _id: userTurnId(message.messageId),
        session_id: sessionIdFor(message.channelId),
        timestamp: new Date(),
        channel_id: message.channelId,
        user_id: message.authorId,
        user_name: message.authorName,
        speaker_type: 'USER',
        bot_name: null,
        message_content: message.content,
        original_message_id: message.messageId,
        is_organic_initiation: false,
        rag_context_used: [],
        llm_response_raw: null,
        llm_response_final: null,
      });
    },

    /** The window: the turns before `before`, without those a /forget left out (conversation_forgets). */
    async loadHistory(before: TurnRef): Promise<HistoryLine[]> {
      const [window, cutoff] = await Promise.all([
        conversationHistory.historyWindow(before.session_id, before.turn_id, deps.historyWindow),
        conversationForgets.cutoff(before.session_id),
      ]);
      const turns = window.filter((turn) => turn.turn_id > cutoff);
      return turns.map(({ speaker_type, bot_name, message_content }) => ({
        speaker_type,
        bot_name,
        message_content,
      }));
    },

    /** The session's prompt version: the default, or a challenger for its A/B share of sessions. */
    async choosePromptVersion(input: { character: string; sessionId: string }): Promise<PromptChoice> {
      const { default: current, challengers } = await characterPrompts.findServing(input.character);
      if (!current) {
        throw ApplicationFailure.nonRetryable(
          `no default prompt for character "${input.character}" in character_prompts (is it in CHARACTERS?)`,
          'UnknownCharacter',
        );
      }
      const { prompt_version, prompt_text, fallback_line } = pickPromptVersion(
        current,
        challengers,
        input.character,
        input.sessionId,
      );
      return { prompt_version, prompt_text, fallback_line };
    },

    /**
     * What a reply adds to the character's prompt for its channel: the channel's scenario, and the lore of
     * the books attached to everything, the character and the channel whose keys appear in `recent` (the
     * message being answered first, then the history, newest first). Also whether the channel has live
     * replies for the character (read here with the scenario, from the same settings).
     */
    async loadLoreAndScenario(input: {
      character: string;
      channelId: string;
      recent: string[];
    }): Promise<LoreAndScenario> {
      const [books, channel] = await Promise.all([
        lorebooks.forReply({ character: input.character, channelId: input.channelId }),
        channelSettings.get(input.channelId),
      ]);
      return {
        scenario: channel?.scenario ?? null,
        lore: selectLore(books, input.recent).map(loreSnippet),
        liveReplies:
          (channel?.live_replies ?? deps.live.byDefault) &&
          deps.live.botCharacters.includes(input.character.toLowerCase()),
      };
    },

    async loadChannelActivity(channelId: string): Promise<ChannelActivity> {
      const { lastTurnAt, lastOrganicStart } = await conversationHistory.channelActivity(channelId);
      return {
        lastTurnAt: lastTurnAt?.toISOString() ?? null,
        lastOrganicStartAt: lastOrganicStart?.at.toISOString() ?? null,
        lastInitiator: lastOrganicStart?.bot_name ?? null,
      };
    },

    async persistBotTurn(input: BotTurnInput): Promise<TurnRef> {
      return conversationHistory.appendTurn({
        _id: botTurnId(input.responseId),
        session_id: sessionIdFor(input.channelId),
        timestamp: new Date(),
        channel_id: input.channelId,
        user_id: null,
        speaker_type: 'BOT',
        bot_name: input.character,
        message_content: input.llmResponseFinal,
        original_message_id: input.deliveredMessageIds?.[0] ?? null,
        is_organic_initiation: input.isOrganicInitiation,
        rag_context_used: input.ragContextUsed,
        llm_response_raw: input.llmResponseRaw,
        llm_response_final: input.llmResponseFinal,
        response_id: input.responseId,
        reply_to_message_id: input.replyToMessageId,
        delivered_message_ids: input.deliveredMessageIds ?? [],
        prompt_version_used: input.promptVersion,
        qc_result: input.qcResult,
      });
    },
  };
}
