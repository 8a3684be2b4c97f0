import { buildReplyMessages } from '../llm/prompt';
import type { ChatMessage } from '../llm/ollamaChat';
import { userTurnId, type ConversationTurn } from '../store/conversationHistory';
import type { Store } from '../store/mongo';

export interface ExportOptions {
  /** Least rating (1-5) a reply needs: its users' average, else its QC score. */
  minScore: number;
  /** Only this character's replies. */
  character?: string;
  /** Earlier turns included, as the replies were generated with (HISTORY_WINDOW). */
  historyWindow: number;
}

export interface ExportCounts {
  /** Bot replies looked at. */
  scanned: number;
  written: number;
  /** Not rated, or rated under minScore. */
  belowScore: number;
  /** Rated well but not exportable: answered another character, or its prompt or message is gone. */
  incomplete: number;
}

/** One training example in the chat format fine-tuning tools read: {"messages": [...]}. */
export interface ChatExample {
  messages: ChatMessage[];
}

/**
 * The prompt a reply was generated with, as the model saw it: the system prompt of `version` (by
 * default the reply's) with the wiki snippets it was given, the `historyWindow` turns before the
 * message it answered, and that message. Null when it cannot be rebuilt: an organic line (it answers
 * nothing), or the version or the answered message is gone. Shared by every export format.
 */
export interface ReplyPrompts {
  promptOf(reply: ConversationTurn, version?: string | null): Promise<ChatMessage[] | null>;
}

/** Loads the prompt versions (of `character`, or all) once; each prompt is then rebuilt from them. */
export async function loadReplyPrompts(
  store: Store,
  options: Pick<ExportOptions, 'character' | 'historyWindow'>,
): Promise<ReplyPrompts> {
  const { conversationHistory, characterPrompts } = store;
  const prompts = new Map(
    (await characterPrompts.list(options.character)).map((p) => [
      `${p.character_name}\u0000${p.prompt_version}`,
      p,
    ]),
  );
  return {
    async promptOf(reply, version = reply.prompt_version_used) {
      const prompt = prompts.get(`${reply.bot_name}\u0000${version}`);
      const answered = reply.reply_to_message_id
        ? await conversationHistory.collection.findOne({ _id: userTurnId(reply.reply_to_message_id) })
        : null;
      if (!prompt || !answered || !reply.bot_name) return null;
      const history = await conversationHistory.loadHistory(
        answered.session_id,
        answered.turn_id,
        options.historyWindow,
      );
      return buildReplyMessages({
        character: reply.bot_name,
        systemPrompt: prompt.prompt_text,
        history,
        context: reply.rag_context_used,
        userMessage: answered.message_content,
      });
    },
  };
}

/**
 * Writes high-rated replies as chat-format examples: the prompt the reply was generated with
 * (ReplyPrompts) and the reply that was sent as the assistant's answer.
 */
export async function exportFineTuningExamples(
  store: Store,
  options: ExportOptions,
  write: (example: ChatExample) => Promise<void> | void,
  onProgress?: (counts: ExportCounts) => void,
): Promise<ExportCounts> {
  const { conversationHistory, fineTuningData } = store;
  const userScores = await fineTuningData.userRatingAverages();
  const prompts = await loadReplyPrompts(store, options);
  const counts: ExportCounts = { scanned: 0, written: 0, belowScore: 0, incomplete: 0 };
  for await (const reply of conversationHistory.botReplies(options.character)) {
    counts.scanned++;
    if (counts.scanned % 100 === 0) onProgress?.({ ...counts });
    const score = scoreOf(reply, userScores);
    if (score === null || score < options.minScore) {
      counts.belowScore++;
      continue;
    }
    const messages = reply.llm_response_final ? await prompts.promptOf(reply) : null;
    if (!messages || !reply.llm_response_final) {
      counts.incomplete++;
      continue;
    }
    messages.push({ role: 'assistant', content: reply.llm_response_final });
    await write({ messages });
    counts.written++;
  }
  onProgress?.({ ...counts });
  return counts;
}

/** Users' average when they rated it (they are the audience), else the QC score. */
function scoreOf(reply: ConversationTurn, userScores: Map<string, number>): number | null {
  const user = reply.response_id ? userScores.get(reply.response_id) : undefined;
  if (user !== undefined) return user;
  const qc = reply.qc_result;
  return qc && qc.method !== 'fallback' ? qc.score : null;
}
