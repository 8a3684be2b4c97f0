/**
 * The series counters (the dashboard's chart figures by UTC day and hour) that writes add beside their
 * totals, and how the fold splits them off: pure functions of src/store/metricCounters.ts.
 */
import {
  addCounters,
  botTurnCounters,
  KEY,
  parseVersionKey,
  ratingCounters,
  seriesByDay,
  splitSeries,
  utcDay,
} from '../../src/store/metricCounters';

const at = new Date('2026-12-06T23:30:00.000Z');

describe('series counters', () => {
  it('dates a bot line by its UTC hour, and counts a fallback line apart', () => {
    const counters = botTurnCounters({
      bot_name: 'Peter',
      prompt_version_used: 'v1.0',
      timestamp: at,
      llm_response_raw: null,
    });
    expect(splitSeries(counters).series).toEqual(
      new Map([
        [KEY.series('2026-12-06', 'hour:23:replies'), 1],
        [KEY.series('2026-12-06', 'hour:23:fallbacks'), 1],
      ]),
    );
    // The totals are what they were without a time.
    expect(splitSeries(counters).totals).toEqual(
      botTurnCounters({ bot_name: 'Peter', prompt_version_used: 'v1.0' }),
    );
    const answered = botTurnCounters({ bot_name: 'Peter', timestamp: at, llm_response_raw: 'Hehehe' });
    expect([...splitSeries(answered).series.keys()]).toEqual([KEY.series('2026-12-06', 'hour:23:replies')]);
  });

  it('dates a rating by its own time, and a changed rating moves the old score out of the old day', () => {
    const rating = (score: number, timestamp: Date) => ({
      character_name: 'Brian',
      prompt_version_used: 'v1.1',
      rating_type: 'USER_SUBMITTED',
      rating_score: score,
      timestamp,
    });
    const before = rating(5, new Date('2026-12-01T10:00:00Z'));
    const after = rating(2, at);
    const change = addCounters(ratingCounters(after), ratingCounters(before), -1);
    const days = seriesByDay(splitSeries(change).series);
    expect(days.get('2026-12-01')).toEqual(
      new Map([
        [KEY.version('Brian', 'v1.1', 'user_count'), -1],
        [KEY.version('Brian', 'v1.1', 'user_sum'), -5],
      ]),
    );
    expect(days.get('2026-12-06')).toEqual(
      new Map([
        [KEY.version('Brian', 'v1.1', 'user_count'), 1],
        [KEY.version('Brian', 'v1.1', 'user_sum'), 2],
      ]),
    );
    // The totals: one rating, 3 points lower.
    expect(splitSeries(change).totals.get(KEY.userSum)).toBe(-3);
    expect(splitSeries(change).totals.has(KEY.userCount)).toBe(false);
  });

  it('leaves QC fallback scores out of the series as out of the averages', () => {
    const qc = {
      character_name: 'Peter',
      prompt_version_used: 'v1.0',
      rating_type: 'QC_AUTOMATED',
      rating_score: 3,
      qc_method: 'fallback',
      timestamp: at,
    };
    expect(splitSeries(ratingCounters(qc)).series.size).toBe(0);
    expect(splitSeries(ratingCounters({ ...qc, qc_method: 'llm' })).series.size).toBe(2);
  });

  it('reads a version key back, whatever the names hold', () => {
    expect(parseVersionKey(KEY.version('Mr: "Quagmire"', 'v1.1_optimized', 'qc_sum'))).toEqual({
      character: 'Mr: "Quagmire"',
      version: 'v1.1_optimized',
      field: 'qc_sum',
    });
    expect(parseVersionKey('hour:13:replies')).toBeNull();
    expect(parseVersionKey('version:not json:qc_sum')).toBeNull();
    expect(utcDay(at)).toBe('2026-12-06');
  });
});
