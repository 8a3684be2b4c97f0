import type { Retriever } from '../knowledge/retriever';
import type { RagSnippet } from '../store/conversationHistory';

export function createKnowledgeActivities(deps: { retriever: Retriever }) {
  return {
    /** Wiki snippets relevant to a message (none until the knowledge base exists). */
    async retrieveContext(query: string): Promise<RagSnippet[]> {
      return deps.retriever.retrieve(query);
    },
  };
}
