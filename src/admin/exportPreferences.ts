import { createHash } from 'node:crypto';
import type { ChatMessage } from '../llm/ollamaChat';
import type { ConversationTurn } from '../store/conversationHistory';
import type { FineTuningEntry } from '../store/fineTuningData';
import type { Store } from '../store/mongo';
import { loadReplyPrompts, type ExportOptions } from './exportFineTuning';

/**
 * One preference pair in the conversational preference format of DPO-style trainers (TRL's
 * DPOTrainer and others): the prompt as messages, the preferred and the dispreferred answer each as
 * one assistant message.
 */
export interface PreferenceExample {
  prompt: ChatMessage[];
  chosen: [ChatMessage];
  rejected: [ChatMessage];
}

/** What says that one text beats the other. */
export type PreferenceSource = 'regeneration' | 'rating' | 'qc';

/** A text of a reply and the prompt version that wrote it. */
export interface ReplyText {
  text: string;
  version: string | null;
}

export interface PreferencePair {
  chosen: ReplyText;
  rejected: ReplyText;
  source: PreferenceSource;
}

export interface PreferenceCounts {
  /** Bot replies looked at. */
  scanned: number;
  /** Pairs written, by what they come from (a pair two sources agree on counts for the first). */
  written: Record<PreferenceSource, number>;
  /** Pairs not written again: the same prompt, chosen and rejected as a pair already written. */
  duplicates: number;
  /** Pairs left out because the evidence contradicts them (see preferencePairs). */
  contradicted: number;
  /** Pairs whose prompt cannot be rebuilt: their version or the message answered is gone. */
  incomplete: number;
}

/**
 * The preference pairs one reply gives, from the evidence about its texts (`evidence`: the
 * response's fine_tuning_data entries with a response_text):
 * - regeneration: the candidate that stands (chosen) over each candidate the person answered replaced
 *   (the turn's candidates, and USER_REGENERATED entries);
 * - rating: a text users rated over one they rated lower on average, and over a replaced text nobody
 *   rated, unless it was replaced itself;
 * - qc: the best-scored text QC assessed (on a tie, the one standing, else one that was posted) over
 *   each text it scored lower; fallback assessments say nothing.
 * People outrank QC: a QC pair whose reverse a user's regeneration or rating says is left out, and
 * user pairs that contradict each other are left out both ways (`contradicted` counts them). A pair of
 * identical texts (after trimming) is never made, and each pair once (the first source that says it).
 */
export function preferencePairs(
  turn: ConversationTurn,
  evidence: FineTuningEntry[],
): { pairs: PreferencePair[]; contradicted: number } {
  const candidates = turn.candidates ?? [];
  const standing: ReplyText = {
    text: turn.message_content,
    version: candidates[turn.chosen_candidate ?? -1]?.prompt_version ?? turn.prompt_version_used ?? null,
  };
  const replaced = new Map<string, ReplyText>();
  for (const candidate of candidates) {
    if (candidate.text === standing.text) continue;
    replaced.set(candidate.text, { text: candidate.text, version: candidate.prompt_version });
  }
  for (const entry of evidence) {
    const text = entry.response_text;
    if (entry.rating_type !== 'USER_REGENERATED' || text === undefined || text === standing.text) continue;
    if (!replaced.has(text)) replaced.set(text, { text, version: entry.prompt_version_used });
  }
  const users: PreferencePair[] = [...replaced.values()].map((rejected) => ({
    chosen: standing,
    rejected,
    source: 'regeneration',
  }));

  const ratings = scoresByText(
    evidence.filter((entry) => entry.rating_type === 'USER_SUBMITTED'),
    (scores) => scores.reduce((sum, score) => sum + score, 0) / scores.length,
  );
  for (const rated of ratings.values()) {
    for (const other of ratings.values()) {
      if (rated.score > other.score)
        users.push({ chosen: rated.reply, rejected: other.reply, source: 'rating' });
    }
    if (replaced.has(rated.reply.text)) continue;
    for (const rejected of replaced.values()) {
      if (!ratings.has(rejected.text)) users.push({ chosen: rated.reply, rejected, source: 'rating' });
    }
  }

  const assessed = [
    ...scoresByText(
      evidence.filter((entry) => entry.rating_type === 'QC_AUTOMATED' && entry.qc_method !== 'fallback'),
      (scores) => Math.max(...scores),
    ).values(),
  ];
  const top = assessed.filter((a) => a.score === Math.max(...assessed.map((b) => b.score)));
  const posted = new Set([standing.text, ...candidates.map((candidate) => candidate.text)]);
  const best =
    top.length === 1
      ? top[0]
      : (top.find((a) => a.reply.text === standing.text) ?? top.find((a) => posted.has(a.reply.text)));
  const qc: PreferencePair[] = assessed
    .filter((other) => best && other.score < best.score)
    .map((other) => ({ chosen: (best as TextScore).reply, rejected: other.reply, source: 'qc' }));

  const key = (chosen: ReplyText, rejected: ReplyText) => `${chosen.text}\u0000${rejected.text}`;
  const said = new Set(users.map((pair) => key(pair.chosen, pair.rejected)));
  const reversed = (pair: PreferencePair) => said.has(key(pair.rejected, pair.chosen));
  const pairs = new Map<string, PreferencePair>();
  let contradicted = 0;
  for (const pair of [...users, ...qc]) {
    if (reversed(pair)) contradicted++;
    else if (
      pair.chosen.text.trim() !== pair.rejected.text.trim() &&
      !pairs.has(key(pair.chosen, pair.rejected))
    )
      pairs.set(key(pair.chosen, pair.rejected), pair);
  }
  return { pairs: [...pairs.values()], contradicted };
}

interface TextScore {
  reply: ReplyText;
  score: number;
}

/** Each text's score (`combine` of its entries' scores), by text. */
function scoresByText(
  entries: FineTuningEntry[],
  combine: (scores: number[]) => number,
): Map<string, TextScore> {
  const byText = new Map<string, { reply: ReplyText; scores: number[] }>();
  for (const entry of entries) {
    if (entry.response_text === undefined) continue;
    const known = byText.get(entry.response_text) ?? {
      reply: { text: entry.response_text, version: entry.prompt_version_used },
      scores: [],
    };
    known.scores.push(entry.rating_score);
    byText.set(entry.response_text, known);
  }
  return new Map([...byText].map(([text, { reply, scores }]) => [text, { reply, score: combine(scores) }]));
}

/**
 * Writes preference pairs as examples (PreferenceExample): every bot reply with candidates, ratings or
 * QC assessments to compare, oldest first, each pair with the prompt its chosen text was written with
 * (rebuilt as the chat export rebuilds it). The same prompt, chosen and rejected is written once.
 */
export async function exportPreferencePairs(
  store: Store,
  options: Pick<ExportOptions, 'character' | 'historyWindow'>,
  write: (example: PreferenceExample) => Promise<void> | void,
  onProgress?: (counts: PreferenceCounts) => void,
): Promise<PreferenceCounts> {
  const { conversationHistory, fineTuningData } = store;
  const withEvidence = await fineTuningData.responsesWithPreferences();
  const prompts = await loadReplyPrompts(store, options);
  const counts: PreferenceCounts = {
    scanned: 0,
    written: { regeneration: 0, rating: 0, qc: 0 },
    duplicates: 0,
    contradicted: 0,
    incomplete: 0,
  };
  const written = new Set<string>();
  for await (const reply of conversationHistory.botReplies(options.character)) {
    counts.scanned++;
    if (counts.scanned % 100 === 0) onProgress?.(copy(counts));
    const hasEvidence = reply.response_id !== undefined && withEvidence.has(reply.response_id);
    if (!hasEvidence && (reply.candidates?.length ?? 0) < 2) continue;
    const evidence = hasEvidence ? await fineTuningData.preferencesOf(reply.response_id as string) : [];
    const { pairs, contradicted } = preferencePairs(reply, evidence);
    counts.contradicted += contradicted;
    for (const pair of pairs) {
      const prompt = await prompts.promptOf(reply, pair.chosen.version ?? undefined);
      if (!prompt) {
        counts.incomplete++;
        continue;
      }
      const example: PreferenceExample = {
        prompt,
        chosen: [{ role: 'assistant', content: pair.chosen.text }],
        rejected: [{ role: 'assistant', content: pair.rejected.text }],
      };
      const line = createHash('sha256').update(JSON.stringify(example)).digest('base64');
      if (written.has(line)) {
        counts.duplicates++;
        continue;
      }
      written.add(line);
      await write(example);
      counts.written[pair.source]++;
    }
  }
  onProgress?.(copy(counts));
  return counts;
}

function copy(counts: PreferenceCounts): PreferenceCounts {
  return { ...counts, written: { ...counts.written } };
}
