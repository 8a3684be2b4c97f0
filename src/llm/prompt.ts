import type { RagSnippet } from '../store/conversationHistory';
import type { ChatMessage } from './ollamaChat';

/** An earlier turn as the prompt needs it. */
export interface HistoryLine {
  speaker_type: 'USER' | 'BOT' | 'SYSTEM';
  bot_name: string | null;
  message_content: string;
}

export interface ReplyPrompt {
  character: string;
  systemPrompt: string;
  history: HistoryLine[];
  context: RagSnippet[];
  userMessage: string;
}

/**
 * System prompt (+ wiki facts) -> earlier turns -> the message to answer. The
 * character's own turns are the assistant's; everyone else's are user turns labelled
 * with the speaker, so the model knows who said what without being invited to write
 * labels itself (cleanReply strips any it writes anyway).
 */
export function buildReplyMessages(prompt: ReplyPrompt): ChatMessage[] {
  let system = prompt.systemPrompt;
  if (prompt.context.length > 0) {
    const facts = prompt.context.map((snippet) => `- ${snippet.text.trim()} (source: ${snippet.source_url})`);
    system += `\n\nFACTS FROM THE FAMILY GUY WIKI (use them if they help, in your own voice; never list sources):\n${facts.join('\n')}`;
  }
  const messages: ChatMessage[] = [{ role: 'system', content: system }];
  for (const turn of prompt.history) {
    if (turn.speaker_type === 'BOT' && turn.bot_name === prompt.character) {
      messages.push({ role: 'assistant', content: turn.message_content });
    } else {
      const speaker = turn.speaker_type === 'BOT' ? (turn.bot_name ?? 'Someone') : 'User';
      messages.push({ role: 'user', content: `[${speaker}] ${turn.message_content}` });
    }
  }
  messages.push({ role: 'user', content: prompt.userMessage });
  return messages;
}
