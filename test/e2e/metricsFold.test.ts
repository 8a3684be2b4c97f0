/**
 * The metric-fold schedule: the worker's schedule folds the metric events a reply wrote into
 * metric_totals, so GET /stats and the prompt review add up a minute's pending events, not an hour's.
 */
import { ensureMetricsFoldSchedule } from '../../src/schedules/metricsFold';
import { fromEntries, KEY } from '../../src/store/metricCounters';
import { metricsFoldScheduleId } from '../../src/workflows/contracts/metrics';
import { waitFor } from '../fakes/waitFor';
import { startHarness, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.temporal.schedule
    .getHandle(metricsFoldScheduleId(h.config.taskQueue))
    .delete()
    .catch(() => undefined);
  await h.stop();
});

it('runs every minute and folds a reply’s metric events into the totals', async () => {
  expect(await ensureMetricsFoldSchedule(h.temporal, { taskQueue: h.config.taskQueue })).toBe('created');
  // A second worker start updates it instead of failing.
  expect(await ensureMetricsFoldSchedule(h.temporal, { taskQueue: h.config.taskQueue })).toBe('updated');
  const schedule = h.temporal.schedule.getHandle(metricsFoldScheduleId(h.config.taskQueue));
  expect((await schedule.describe()).spec.intervals).toMatchObject([{ every: 60_000 }]);

  h.ollama.reply('Hehehe, sweet.');
  const message = await h.discord.userSays({ channelId: h.channelId, content: 'Peter, say something' });
  await h.discord.replyTo(message.id);
  const responses = KEY.version('Peter', 'v1.0', 'responses');
  await waitFor(async () => (await h.store.metricEvents.pending()).length > 0, { what: 'pending events' });
  const before = (await h.store.metricTotals.current()).get(responses) ?? 0;
  expect(before).toBeGreaterThan(0);

  await schedule.trigger();
  await waitFor(async () => (await h.store.metricEvents.pending()).length === 0, {
    what: 'the pending events folded',
    timeoutMs: 30_000,
  });
  const totals = await h.store.metricTotals.get();
  expect(fromEntries(totals?.counters ?? []).get(responses)).toBe(before);
  // Read from the totals now, the figure is the same.
  expect((await h.store.metricTotals.current()).get(responses)).toBe(before);
});
