/**
 * The counters behind GET /stats and the prompt versions' performance_metrics, as plain sums, so they
 * can be kept incrementally (src/store/metricTotals.ts): each write adds its own counters, and every
 * figure (counts, averages, rates) is derived from the sums. A pure leaf module.
 *
 * In documents a set of counters is an array of {k, n} (keys hold prompt versions such as "v1.0", and
 * MongoDB field names may not contain dots).
 */
import type { DeadLetter } from './deadLetterQueue';

export type Counters = Map<string, number>;
export interface CounterEntry {
  k: string;
  n: number;
}

/** What one fine_tuning_data entry counts for (QC and user ratings; other types count for nothing). */
export interface RatingFacts {
  character_name: string;
  prompt_version_used: string;
  rating_type: string;
  rating_score: number;
  qc_method?: string;
}

/** A version's bot replies and how many of them a human answered (a scan of conversation_history). */
export interface EngagementRow {
  character_name: string;
  prompt_version_used: string;
  responses: number;
  answered: number;
}

/** What one bot turn of conversation_history counts for. */
export interface BotTurnFacts {
  bot_name: string | null;
  prompt_version_used?: string | null;
  qc_result?: { attempts: number; accepted: boolean } | null;
}

/** The per-version sums; the figures of a version are derived from these. */
export const VERSION_FIELDS = [
  'qc_count',
  'qc_sum',
  'user_count',
  'user_sum',
  'responses',
  'answered',
] as const;
export type VersionField = (typeof VERSION_FIELDS)[number];

export const KEY = {
  qcByMethod: (method: string | undefined) => `qc.method:${method ?? 'unknown'}`,
  qcScored: 'qc.scored',
  qcScoredSum: 'qc.scored_sum',
  qcChecked: 'qc.checked',
  qcAccepted: 'qc.accepted',
  qcAttempts: 'qc.attempts',
  userCount: 'user.count',
  userSum: 'user.sum',
  deadLetters: (status: DeadLetter['status']) => `dead_letters:${status}`,
  version: (character: string, version: string, field: VersionField) =>
    `version:${JSON.stringify([character, version])}:${field}`,
};
const QC_METHOD_PREFIX = 'qc.method:';

export function ratingCounters(entry: RatingFacts, sign: 1 | -1 = 1): Counters {
  const counters: Counters = new Map();
  const add = (key: string, n: number) => counters.set(key, (counters.get(key) ?? 0) + sign * n);
  const version = (field: VersionField) =>
    KEY.version(entry.character_name, entry.prompt_version_used, field);
  if (entry.rating_type === 'QC_AUTOMATED') {
    add(KEY.qcByMethod(entry.qc_method), 1);
    // Fallback scores (the reviewer gave no verdict) are left out of every average.
    if (entry.qc_method !== 'fallback') {
      add(KEY.qcScored, 1);
      add(KEY.qcScoredSum, entry.rating_score);
      add(version('qc_count'), 1);
      add(version('qc_sum'), entry.rating_score);
    }
  } else if (entry.rating_type === 'USER_SUBMITTED') {
    add(KEY.userCount, 1);
    add(KEY.userSum, entry.rating_score);
    add(version('user_count'), 1);
    add(version('user_sum'), entry.rating_score);
  }
  return counters;
}

/** A bot turn: a response of its prompt version, and a reply QC checked (when it went through QC). */
export function botTurnCounters(turn: BotTurnFacts): Counters {
  const counters: Counters = new Map();
  if (turn.bot_name && turn.prompt_version_used)
    counters.set(KEY.version(turn.bot_name, turn.prompt_version_used, 'responses'), 1);
  if (turn.qc_result) {
    counters.set(KEY.qcChecked, 1);
    counters.set(KEY.qcAccepted, turn.qc_result.accepted ? 1 : 0);
    counters.set(KEY.qcAttempts, turn.qc_result.attempts);
  }
  return counters;
}

/** A human answered a bot turn (the session's next turn is a user's). */
export function answerCounters(character: string, version: string): Counters {
  return new Map([[KEY.version(character, version, 'answered'), 1]]);
}

export function deadLetterCounters(changes: Partial<Record<DeadLetter['status'], number>>): Counters {
  return new Map(
    Object.entries(changes).map(([status, n]) => [KEY.deadLetters(status as DeadLetter['status']), n]),
  );
}

/** a + b (a new map); zero counters are dropped. */
export function addCounters(a: Counters, b: Counters, sign: 1 | -1 = 1): Counters {
  const sum = new Map(a);
  for (const [key, n] of b) {
    const value = (sum.get(key) ?? 0) + sign * n;
    if (value === 0) sum.delete(key);
    else sum.set(key, value);
  }
  return sum;
}

export function toEntries(counters: Counters): CounterEntry[] {
  return [...counters].filter(([, n]) => n !== 0).map(([k, n]) => ({ k, n }));
}

export function fromEntries(entries: CounterEntry[]): Counters {
  return entries.reduce<Counters>((sum, { k, n }) => addCounters(sum, new Map([[k, n]])), new Map());
}

/** The version sums of one (character, version); zeros for one nothing counted for. */
export function versionSums(
  counters: Counters,
  character: string,
  version: string,
): Record<VersionField, number> {
  return Object.fromEntries(
    VERSION_FIELDS.map((field) => [field, counters.get(KEY.version(character, version, field)) ?? 0]),
  ) as Record<VersionField, number>;
}

/** The counters of whole collections, from their scans (the backfill). */
export function scanCounters(scan: {
  ratings: RatingFacts[];
  engagement: EngagementRow[];
  qcResults: Array<{ attempts: number; accepted: boolean }>;
  deadLetters: Partial<Record<DeadLetter['status'], number>>;
}): Counters {
  const counters = deadLetterCounters(scan.deadLetters);
  const add = (more: Counters) => {
    for (const [key, n] of more) counters.set(key, (counters.get(key) ?? 0) + n);
  };
  for (const rating of scan.ratings) add(ratingCounters(rating));
  for (const { character_name: character, prompt_version_used: version, ...row } of scan.engagement) {
    add(new Map([[KEY.version(character, version, 'responses'), row.responses]]));
    add(new Map([[KEY.version(character, version, 'answered'), row.answered]]));
  }
  for (const qc of scan.qcResults) add(botTurnCounters({ bot_name: null, qc_result: qc }));
  return addCounters(new Map(), counters); // without the zeros
}

/** QC assessments by method, as GET /stats shows them. */
export function qcByMethod(counters: Counters): Record<string, number> {
  const byMethod: Record<string, number> = {};
  for (const [key, n] of counters) {
    if (key.startsWith(QC_METHOD_PREFIX)) byMethod[key.slice(QC_METHOD_PREFIX.length)] = n;
  }
  return byMethod;
}
