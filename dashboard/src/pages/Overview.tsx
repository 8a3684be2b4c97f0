/**
 * Overview (#/overview), refreshed every 5 s. Accessible names: heading "Overview"; table
 * "Dependencies" (a row per dependency: name, state "ok"/"down", latency, detail; data-testid
 * "health-<name>" on each row, e.g. health-temporal, health-discord:Peter); region "Last 48 hours"
 * with the figures (data-testid "figure-replies", "figure-fallbacks", "figure-qc-average",
 * "figure-dead-letters-pending"); figure "Replies per hour" (chart + table "Replies per hour, numbers");
 * link "Open the Temporal UI"; a status line (role="status", data-testid "health-summary") "All
 * dependencies ok." or "Down: chroma, discord:Peter.", announced when it changes.
 */
import { useMemo } from 'preact/hooks';
import { api } from '../api';
import { LineChart } from '../chart';
import {
  ExternalLink,
  formatNumber,
  LoadError,
  rememberOverview,
  StateBadge,
  Time,
  useLoad,
} from '../components';
import type { Overview } from '../types';

const POLL_MS = 5_000;

export function OverviewPage() {
  const overview = useLoad(
    async () => {
      const data = await api.get<Overview>('/dashboard/overview');
      rememberOverview(data);
      return { data, at: new Date().toISOString() };
    },
    [],
    POLL_MS,
  );
  const o = overview.data?.data;

  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <LoadError error={overview.error} />
      <p class="muted">
        {overview.data ? (
          <>
            Last updated <Time iso={overview.data.at} /> (every {POLL_MS / 1000} s)
          </>
        ) : overview.loading ? (
          'Loading…'
        ) : (
          ''
        )}
      </p>
      {/* Announced when it changes (a dependency going down or coming back), not on every refresh. */}
      <p role="status" aria-live="polite" data-testid="health-summary">
        {o ? healthSummary(o.health) : ''}
      </p>
      {o?.error && (
        <p role="alert" class="error-text">
          {o.error}
        </p>
      )}
      {o && (
        <>
          <section aria-labelledby="health-heading">
            <h2 id="health-heading">Health</h2>
            <HealthTable health={o.health} />
            {o.temporal_ui_url ? (
              <p>
                <ExternalLink href={o.temporal_ui_url}>Open the Temporal UI</ExternalLink>
              </p>
            ) : (
              <p class="muted">Temporal UI address unknown (set TEMPORAL_UI_URL).</p>
            )}
          </section>
          <section aria-labelledby="figures-heading">
            <h2 id="figures-heading">Last 48 hours</h2>
            <dl class="figures">
              <Figure testid="figure-replies" name="Replies" value={String(o.replies)} />
              <Figure testid="figure-fallbacks" name="Fallback replies" value={String(o.fallbacks)} />
              <Figure testid="figure-qc-average" name="QC average" value={formatNumber(o.qc_average)} />
              <Figure
                testid="figure-dead-letters-pending"
                name="Dead letters pending"
                value={String(o.dead_letters.PENDING ?? 0)}
              />
              <Figure
                testid="figure-dead-letters-replayed"
                name="Dead letters replayed"
                value={String(o.dead_letters.REPLAYED ?? 0)}
              />
              <Figure
                testid="figure-dead-letters-discarded"
                name="Dead letters discarded"
                value={String(o.dead_letters.DISCARDED ?? 0)}
              />
            </dl>
            <RepliesChart rows={o.replies_per_hour} />
          </section>
        </>
      )}
    </>
  );
}

function healthSummary(health: Overview['health']): string {
  const down = Object.entries(health)
    .filter(([, result]) => !result.ok)
    .map(([name]) => name)
    .sort();
  return down.length === 0 ? 'All dependencies ok.' : `Down: ${down.join(', ')}.`;
}

function Figure(props: { name: string; value: string; testid: string }) {
  return (
    <div class="figure" data-testid={props.testid}>
      <dt>{props.name}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}

function HealthTable(props: { health: Overview['health'] }) {
  const entries = Object.entries(props.health).sort(([a], [b]) => a.localeCompare(b));
  return (
    <table>
      <caption>Dependencies</caption>
      <thead>
        <tr>
          <th scope="col">Dependency</th>
          <th scope="col">State</th>
          <th scope="col">Latency</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, result]) => (
          <tr key={name} data-testid={`health-${name}`}>
            <th scope="row">{name}</th>
            <td>
              <StateBadge ok={result.ok} />
            </td>
            <td>{result.latency_ms === undefined ? '–' : `${Math.round(result.latency_ms)} ms`}</td>
            <td class="wrap">{result.ok ? (result.detail ?? '') : (result.error ?? result.detail ?? '')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RepliesChart(props: { rows: Overview['replies_per_hour'] }) {
  const { x, series } = useMemo(
    () => ({
      x: props.rows.map((r) => Date.parse(r.hour) / 1000),
      series: [
        { label: 'Replies', values: props.rows.map((r) => r.replies) },
        { label: 'Fallbacks', values: props.rows.map((r) => r.fallbacks) },
      ],
    }),
    [props.rows],
  );
  return (
    <LineChart title="Replies per hour" x={x} series={series} yLabel="replies" testid="chart-replies">
      <details>
        <summary>The numbers behind the chart</summary>
        <table>
          <caption>Replies per hour, numbers</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              <th scope="col">Replies</th>
              <th scope="col">Fallbacks</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr key={r.hour}>
                <th scope="row">
                  <Time iso={r.hour} />
                </th>
                <td>{r.replies}</td>
                <td>{r.fallbacks}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </LineChart>
  );
}
