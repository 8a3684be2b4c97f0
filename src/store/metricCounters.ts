/**
 * The counters behind GET /stats and the prompt versions' performance_metrics, as plain sums, so they
 * can be kept incrementally (src/store/metricTotals.ts): each write adds its own counters, and every
 * figure (counts, averages, rates) is derived from the sums. A pure leaf module.
 *
 * Series counters (keys `series:<UTC day>:...`, built by KEY.series) are the same sums by UTC day and
 * hour, for the dashboard's charts: a write adds them beside its totals, dated by its record's own time
 * (a changed rating takes its old score out of the old rating's day). The fold puts them in
 * metric_series (src/store/metricSeries.ts), one document per day, instead of metric_totals.
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
  /** When it was rated: the day its series counters go to (absent: it counts in the totals only). */
  timestamp?: Date;
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
  /** When it was stored: the hour its series counters go to (absent: it counts in the totals only). */
  timestamp?: Date;
  /** Null for the character's fallback line (the LLM failed); absent is not a fallback. */
  llm_response_raw?: string | null;
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

/** The version sums kept per day as well (the prompt page's charts). */
export const SERIES_VERSION_FIELDS = ['qc_count', 'qc_sum', 'user_count', 'user_sum'] as const;
export type SeriesVersionField = (typeof SERIES_VERSION_FIELDS)[number];
/** The bot-line sums kept per hour (the overview's chart). */
export const HOUR_FIELDS = ['replies', 'fallbacks'] as const;
export type HourField = (typeof HOUR_FIELDS)[number];

const SERIES_PREFIX = 'series:';
/** `series:` + YYYY-MM-DD + `:` */
const SERIES_KEY_START = SERIES_PREFIX.length + 'YYYY-MM-DD:'.length;

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
  /** An hour's bot lines, inside a day's series counters (hour 0-23, UTC). */
  hour: (hour: number, field: HourField) => `hour:${String(hour).padStart(2, '0')}:${field}`,
  /** `key` (a version or hour key) counted for UTC day `day` (YYYY-MM-DD). */
  series: (day: string, key: string) => `${SERIES_PREFIX}${day}:${key}`,
};
const QC_METHOD_PREFIX = 'qc.method:';

/** The parts of a KEY.version key; null for another key. */
export function parseVersionKey(key: string): { character: string; version: string; field: string } | null {
  const fieldAt = key.lastIndexOf(':');
  if (!key.startsWith('version:') || fieldAt < 0) return null;
  try {
    const [character, version] = JSON.parse(key.slice('version:'.length, fieldAt)) as [unknown, unknown];
    if (typeof character !== 'string' || typeof version !== 'string') return null;
    return { character, version, field: key.slice(fieldAt + 1) };
  } catch {
    return null;
  }
}

/** The UTC day of a time, YYYY-MM-DD: a metric_series document's id. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

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
  // Its version sums (all of SERIES_VERSION_FIELDS) again, for the day it was rated.
  if (entry.timestamp) {
    const day = utcDay(entry.timestamp);
    for (const [key, n] of [...counters])
      if (key.startsWith('version:')) counters.set(KEY.series(day, key), n);
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
  if (turn.timestamp) {
    const day = utcDay(turn.timestamp);
    const hour = turn.timestamp.getUTCHours();
    counters.set(KEY.series(day, KEY.hour(hour, 'replies')), 1);
    if (turn.llm_response_raw === null) counters.set(KEY.series(day, KEY.hour(hour, 'fallbacks')), 1);
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
  /** Every bot turn; `bot_name` and the version are left out (engagement counts the responses). */
  botTurns: Array<Omit<BotTurnFacts, 'bot_name' | 'prompt_version_used'>>;
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
  for (const turn of scan.botTurns) add(botTurnCounters({ ...turn, bot_name: null }));
  return addCounters(new Map(), counters); // without the zeros
}

/** The series counters of a scan alone (the series backfill of data from before them). */
export function scanSeries(scan: Pick<Parameters<typeof scanCounters>[0], 'ratings' | 'botTurns'>): Counters {
  return splitSeries(scanCounters({ ...scan, engagement: [], deadLetters: {} })).series;
}

/** Counters split into the totals' and the series' (keys still `series:<day>:...`). */
export function splitSeries(counters: Counters): { totals: Counters; series: Counters } {
  const totals: Counters = new Map();
  const series: Counters = new Map();
  for (const [key, n] of counters) (key.startsWith(SERIES_PREFIX) ? series : totals).set(key, n);
  return { totals, series };
}

/** Series counters by UTC day, each day's keys without the `series:<day>:` part. */
export function seriesByDay(series: Counters): Map<string, Counters> {
  const days = new Map<string, Counters>();
  for (const [key, n] of series) {
    if (!key.startsWith(SERIES_PREFIX)) continue;
    const day = key.slice(SERIES_PREFIX.length, SERIES_KEY_START - 1);
    const counters = days.get(day) ?? new Map<string, number>();
    counters.set(key.slice(SERIES_KEY_START), n);
    days.set(day, counters);
  }
  return days;
}

/** QC assessments by method, as GET /stats shows them. */
export function qcByMethod(counters: Counters): Record<string, number> {
  const byMethod: Record<string, number> = {};
  for (const [key, n] of counters) {
    if (key.startsWith(QC_METHOD_PREFIX)) byMethod[key.slice(QC_METHOD_PREFIX.length)] = n;
  }
  return byMethod;
}
