import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { meanOf } from '../prompts/metrics';
import { gatewayHealth, type GatewayHealth, type GatewayShardStatus } from '../store/gatewayStatus';
import { utcDay, type Counters } from '../store/metricCounters';
import type { HourPoint } from '../store/metricSeries';
import type { Store } from '../store/mongo';
import { sessionIdFor } from '../store/sessionId';
import { within } from '../within';
import { organicScheduleId } from '../workflows/contracts/organic';
import { wikiCrawlWorkflowId } from '../workflows/contracts/wikiCrawl';
import { HttpError } from './http';
import { describeSchedule } from './organicRoutes';
import { deadLetterCounts, qcAverage } from './statsRoutes';
import { limit, param, pathParams, query, responses } from './schemas';

/** The overview's chart: replies per hour over the last two days. */
const OVERVIEW_HOURS = 48;
const MAX_SERIES_DAYS = 366;
const MAX_CRAWLS = 200;
/** How long the overview waits for MongoDB before showing the rest without its figures. */
const STORE_WAIT_MS = 3000;
const CHARACTER = '[\\w-]{1,64}';
const DAY_MS = 86_400_000;

/** One dependency's state, as GET /health shows it. */
export type HealthResult = GatewayHealth;

export interface DashboardOptions {
  store: Store;
  temporal: Client;
  /** The roster: each character's bot gets a `discord:<Name>` health entry. */
  characters: () => Array<{ name: string }>;
  /** GET /health's checks (Temporal, MongoDB, Chroma, Ollama), run now. */
  health: () => Promise<Record<string, HealthResult>>;
  /** Where the dashboard links to workflows (absent or null: no links), in this namespace (default "default"). */
  temporalUiUrl?: string | null;
  temporalNamespace?: string;
}

/**
 * What the dashboard shows beyond the resource routes, all from small collections or precomputed
 * figures (no scan of conversation_history or fine_tuning_data): GET /dashboard/overview (health with
 * each bot's Discord gateway, replies per hour, dead letters, QC average), GET
 * /dashboard/prompts/:character/series (QC and user ratings per version and day), GET /crawls
 * (rag_crawl_status, newest first) and GET /organic (every channel's silence-check schedule).
 */
export function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): void {
  const { store } = options;

  app.get(
    '/dashboard/overview',
    {
      schema: {
        summary: 'health, replies per hour, dead letters and QC average',
        response: responses({
          200:
            '{health: {<name>: {ok, latency_ms, detail?, error?}} (discord:<Character> per bot), replies_per_hour: ' +
            '[{hour, replies, fallbacks}] (48 h, folded every minute), replies, fallbacks (their sums), ' +
            'dead_letters: {PENDING, REPLAYED, DISCARDED}, qc_average, temporal_ui_url, temporal_namespace}',
        }),
      },
    },
    async () => {
      const now = new Date();
      const [health, figures] = await Promise.all([options.health(), figuresOrProblem(store, now)]);
      const problem = typeof figures === 'string' ? figures : null;
      const { gateway, hours, counters } = typeof figures === 'string' ? NO_FIGURES : figures;
      const discord = ({ name }: { name: string }): [string, HealthResult] => [
        `discord:${name}`,
        gateway
          ? gatewayHealth(gateway, name, now)
          : { ok: false, latency_ms: 0, error: `gateway status unknown: ${problem}` },
      ];
      return {
        health: { ...health, ...Object.fromEntries(options.characters().map(discord)) },
        replies_per_hour: hours,
        replies: hours.reduce((sum, hour) => sum + hour.replies, 0),
        fallbacks: hours.reduce((sum, hour) => sum + hour.fallbacks, 0),
        dead_letters: deadLetterCounts(counters),
        qc_average: qcAverage(counters),
        temporal_ui_url: options.temporalUiUrl ?? null,
        temporal_namespace: options.temporalNamespace ?? 'default',
        ...(problem && { error: `figures unavailable: ${problem}` }),
      };
    },
  );

  app.get<{ Params: { character: string }; Querystring: { days: number } }>(
    `/dashboard/prompts/${param('character', CHARACTER)}/series`,
    {
      schema: {
        summary: 'QC score and user rating per prompt version and UTC day (precomputed by the metric fold)',
        params: pathParams({ character: CHARACTER }),
        querystring: query({ days: limit(MAX_SERIES_DAYS, 90, 'days back from today') }),
        response: responses(
          {
            200: '{character, versions: [{version, points: [{day, qc_count, qc_avg, user_count, user_avg}]}]}',
          },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const { character } = request.params;
      const { days } = request.query;
      const [versions, series] = await Promise.all([
        store.characterPrompts.list(character),
        store.metricSeries.versionDays(character, utcDay(new Date(Date.now() - (days - 1) * DAY_MS))),
      ]);
      if (versions.length === 0) throw new HttpError(404, `no prompts for character "${character}"`);
      const names = [...new Set([...versions.map((v) => v.prompt_version), ...series.keys()])];
      return {
        character,
        versions: names.map((version) => ({
          version,
          points: (series.get(version) ?? []).map((point) => ({
            day: point.day,
            qc_count: point.qc_count,
            qc_avg: meanOf(point.qc_sum, point.qc_count),
            user_count: point.user_count,
            user_avg: meanOf(point.user_sum, point.user_count),
          })),
        })),
      };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/crawls',
    {
      schema: {
        summary: 'past and running crawls (rag_crawl_status), the most recently updated first',
        querystring: query({ limit: limit(MAX_CRAWLS, 20) }),
        response: responses({ 200: '{crawls: [rag_crawl_status entries with their workflow_id]}' }, [400]),
      },
    },
    async (request) => {
      const crawls = await store.ragCrawlStatus.recent(request.query.limit);
      return { crawls: crawls.map((crawl) => ({ ...crawl, workflow_id: wikiCrawlWorkflowId(crawl._id) })) };
    },
  );

  app.get(
    '/organic',
    {
      schema: {
        summary: "every channel's organic schedule, with its last check and last starter",
        response: responses({
          200:
            '{channels: [{channel_id, paused, note, settings, last_check_at, last_starter: {character, at} | null, ' +
            'next_action_times, ...GET /organic/:channel}]}',
        }),
      },
    },
    async () => {
      const descriptions = await organicSchedules(options.temporal);
      const channels = await Promise.all(
        descriptions.map(async ({ channelId, description }) => {
          const session = await store.conversationHistory.sessions.get(sessionIdFor(channelId));
          const starter = session?.last_organic_start;
          return {
            channel_id: channelId,
            ...describeSchedule(description),
            last_check_at: lastActionAt(description),
            last_starter: starter ? { character: starter.bot_name, at: starter.at } : null,
          };
        }),
      );
      return { channels };
    },
  );
}

/** The overview's figures from MongoDB: gateway reports, the hourly series and the metric totals. */
interface Figures {
  gateway: GatewayShardStatus[] | null;
  hours: HourPoint[];
  counters: Counters;
}
/** What the overview shows of MongoDB's figures when it cannot read them (its health says why). */
const NO_FIGURES: Figures = { gateway: null, hours: [], counters: new Map() };

/** The figures, or why there are none (MongoDB failed, or did not answer in time). */
async function figuresOrProblem(store: Store, now: Date): Promise<Figures | string> {
  const read = async (): Promise<Figures> => {
    const [gateway, hours, counters] = await Promise.all([
      store.gatewayStatus.list(),
      store.metricSeries.hourly(now, OVERVIEW_HOURS),
      store.metricTotals.current(),
    ]);
    return { gateway, hours, counters };
  };
  const figures = await within(
    read().catch((err: unknown) => (err instanceof Error ? err.message : String(err))),
    STORE_WAIT_MS,
    null,
  );
  return figures ?? `MongoDB did not answer within ${STORE_WAIT_MS} ms`;
}

/** Every channel's silence-check schedule (listed by id prefix), described; ones deleted meanwhile left out. */
async function organicSchedules(temporal: Client) {
  const prefix = organicScheduleId('');
  const ids: string[] = [];
  for await (const summary of temporal.schedule.list()) {
    if (summary.scheduleId.startsWith(prefix)) ids.push(summary.scheduleId);
  }
  const described = await Promise.all(
    ids.sort().map(async (id) => {
      try {
        return {
          channelId: id.slice(prefix.length),
          description: await temporal.schedule.getHandle(id).describe(),
        };
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return null;
        throw err;
      }
    }),
  );
  return described.filter((entry) => entry !== null);
}

/** When the schedule last started a check; null before its first. */
function lastActionAt(description: ScheduleDescription): Date | null {
  const times = description.info.recentActions.map((action) => action.takenAt.getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : null;
}
