import type { RagSnippet } from '../store/conversationHistory';

/** Wiki snippets relevant to a message, best first (the seam replies use). */
export interface Retriever {
  retrieve(query: string): Promise<RagSnippet[]>;
}
