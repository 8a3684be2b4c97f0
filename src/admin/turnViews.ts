/**
 * How the dashboard's routes show stored turns (GET /conversations/:session/turns, the playground's
 * replies): snake_case JSON with the store's figures, wiki snippets as {title, url, text}.
 */
import { titleFromUrl } from '../knowledge/wikiUrls';
import type {
  ConversationTurn,
  QcTurnResult,
  RagSnippet,
  ReplyCandidate,
} from '../store/conversationHistory';

export interface SnippetView {
  title: string;
  url: string;
  text: string;
}

/**
 * A snippet given to the LLM: a wiki one titled after its article (or its URL, for a page outside /wiki/),
 * a lorebook entry after its book, entry and why it was chosen.
 */
export function snippetView(snippet: RagSnippet): SnippetView {
  const lore = snippet.lore;
  return {
    title: lore
      ? `Lorebook "${lore.book}" (${lore.scope}): ${lore.name || `entry ${lore.entry_id}`}, ${lore.reason}`
      : (titleFromUrl(snippet.source_url) ?? snippet.source_url),
    url: snippet.source_url,
    text: snippet.text,
  };
}

/** The stored QC result, with `passed` (the candidate sent reached the minimum score); null: QC was off. */
export function qcView(qc: QcTurnResult | null | undefined) {
  return qc ? { ...qc, passed: qc.accepted } : null;
}

/**
 * One turn as a page of a conversation shows it; a bot turn with its version, QC, snippets and texts,
 * and a regenerated one with every candidate and which one stands.
 */
export function turnView(turn: ConversationTurn) {
  const common = {
    turn_id: turn.turn_id,
    role: turn.speaker_type.toLowerCase(),
    text: turn.message_content,
    created_at: turn.timestamp.toISOString(),
  };
  if (turn.speaker_type !== 'BOT') return { ...common, author: turn.user_id ?? 'system' };
  return {
    ...common,
    author: turn.bot_name ?? 'bot',
    ...(turn.bot_name && { character: turn.bot_name }),
    prompt_version: turn.prompt_version_used ?? null,
    qc: qcView(turn.qc_result),
    rag_context_used: turn.rag_context_used.map(snippetView),
    raw_text: turn.llm_response_raw,
    final_text: turn.llm_response_final,
    is_organic_initiation: turn.is_organic_initiation,
    used_fallback: turn.llm_response_raw === null,
    ...(turn.candidates && {
      candidates: turn.candidates.map(candidateView),
      chosen_candidate: turn.chosen_candidate ?? turn.candidates.length - 1,
    }),
  };
}

/** One version of a regenerated reply: the original, or one its user asked for. */
function candidateView(candidate: ReplyCandidate) {
  return {
    text: candidate.text,
    source: candidate.source,
    requested_by: candidate.requested_by,
    prompt_version: candidate.prompt_version,
    qc_score: candidate.qc_score ?? null,
    created_at: candidate.created_at.toISOString(),
  };
}
