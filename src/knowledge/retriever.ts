import type { RagSnippet } from '../store/conversationHistory';

/**
 * Retrieval for replies. The wiki knowledge base (Chroma collection `family_guy_wiki`)
 * is built by the crawl workflow; until it exists, replies go out without context.
 */
export interface Retriever {
  retrieve(query: string): Promise<RagSnippet[]>;
}

/** The retriever used while no knowledge base is configured: nothing to add. */
export const emptyRetriever: Retriever = {
  retrieve: async () => [],
};
