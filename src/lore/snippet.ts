import type { RagSnippet } from '../store/conversationHistory';
import type { MatchedLore } from './types';

/** What a prompt and rag_context_used carry for a chosen lore entry: where it came from and why. */
export function loreSnippet(matched: MatchedLore): RagSnippet {
  return {
    text: matched.content,
    source_url: `lorebook:${matched.scope}#${matched.entryId}`,
    score: 1,
    origin: 'lorebook',
    lore: {
      scope: matched.scope,
      book: matched.book,
      entry_id: matched.entryId,
      name: matched.name,
      reason: matched.reason,
    },
  };
}
