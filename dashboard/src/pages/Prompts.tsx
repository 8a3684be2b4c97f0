/**
 * Prompt versions (#/prompts, or #/prompts?character=Peter). Accessible names: heading "Prompt
 * versions"; select "Character"; button "Roll back <Character>"; table "Versions of <Character>";
 * per version a region (article) named "Version <v>" (data-testid "version-<v>") with its status text
 * ("default", "challenger", "inactive"), button "Promote <v>" (non-default versions), number field
 * "A/B share of <v> (%)" and button "Set share of <v>", list "Change log of <v>", and a disclosure
 * "Diff against the default (<default v>)" with added/removed lines (classes diff-added/diff-removed,
 * and "+"/"-" marks). Charts: figures "QC score per version" and "User rating per version", each with
 * table "QC score per version, numbers" / "User rating per version, numbers" (version, day, average,
 * count). Action outcomes: role="status" (data-testid "prompt-outcome") or role="alert".
 */
import { diffLines } from 'diff';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { LineChart } from '../chart';
import { formatNumber, LoadError, Outcome, Time, useAction, useLoad } from '../components';
import type { PromptSeries, PromptVersion } from '../types';

interface ChangeResult {
  character: string;
  action: 'promote' | 'rollback';
  defaultVersion: string;
  replaced: string | null;
}

function characterFromHash(): string | null {
  const query = window.location.hash.split('?')[1];
  return query ? new URLSearchParams(query).get('character') : null;
}

export function PromptsPage() {
  const all = useLoad(() => api.get<{ prompts: PromptVersion[] }>('/prompts'), []);
  const characters = useMemo(
    () => [...new Set((all.data?.prompts ?? []).map((p) => p.character_name))].sort(),
    [all.data],
  );
  const [chosen, setCharacter] = useState<string | null>(characterFromHash);
  // Derived, not set by an effect: an effect could overwrite a choice made as the list arrived.
  const character = chosen && characters.includes(chosen) ? chosen : (characters[0] ?? null);

  return (
    <>
      <h1 tabIndex={-1}>Prompt versions</h1>
      <LoadError error={all.error} />
      {all.data && characters.length === 0 && <p>No prompt versions yet.</p>}
      {characters.length > 0 && (
        <p class="inline-form">
          <label for="prompt-character">Character</label>
          <select
            id="prompt-character"
            value={character ?? ''}
            onChange={(e) => setCharacter(e.currentTarget.value)}
          >
            {characters.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </p>
      )}
      {character && <CharacterPrompts key={character} character={character} />}
    </>
  );
}

function CharacterPrompts(props: { character: string }) {
  const { character } = props;
  const versions = useLoad(
    () => api.get<{ prompts: PromptVersion[] }>(`/prompts/${seg(character)}`).then((r) => r.prompts),
    [character],
  );
  const series = useLoad(
    () => api.get<PromptSeries>(`/dashboard/prompts/${seg(character)}/series`),
    [character],
  );
  const action = useAction();
  const list = versions.data ?? [];
  const current = list.find((v) => v.is_default) ?? null;
  const refresh = async () => {
    await Promise.all([versions.reload(), series.reload()]);
  };

  const change = (body: Record<string, unknown>, path: 'promote' | 'rollback') =>
    action.run(async () => {
      const result = await api.post<ChangeResult>(`/prompts/${seg(character)}/${path}`, body);
      await refresh();
      const verb = path === 'promote' ? 'Promoted' : 'Rolled back';
      return `${verb}: the default of ${character} is now ${result.defaultVersion}${
        result.replaced ? ` (replacing ${result.replaced})` : ' (it already was)'
      }.`;
    });

  const setShare = (version: string, share: number) =>
    action.run(async () => {
      const result = await api.post<PromptVersion>(`/prompts/${seg(character)}/share`, {
        version,
        ab_test_percentage: share,
      });
      await refresh();
      return `${result.prompt_version ?? version} now takes ${result.ab_test_percentage ?? share}% of sessions.`;
    });

  return (
    <section aria-labelledby="character-heading">
      <h2 id="character-heading">{character}</h2>
      <LoadError error={versions.error} />
      <p>
        <button
          type="button"
          disabled={action.busy}
          onClick={() => void change({}, 'rollback')}
          aria-label={`Roll back ${character}`}
        >
          Roll back
        </button>{' '}
        <span class="muted">returns the default to the version the last promotion replaced.</span>
      </p>
      <Outcome message={action.message} error={action.error} testid="prompt-outcome" />
      {list.length > 0 && (
        <table>
          <caption>Versions of {character}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">A/B share</th>
              <th scope="col">Created</th>
              <th scope="col">Based on</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.prompt_version}>
                <th scope="row">{v.prompt_version}</th>
                <td>{statusOf(v)}</td>
                <td>{v.is_default ? 'the rest' : `${v.ab_test_percentage}%`}</td>
                <td>
                  <Time iso={v.creation_date} />
                </td>
                <td>{v.based_on ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.map((v) => (
        <VersionCard
          key={v.prompt_version}
          version={v}
          current={current}
          busy={action.busy}
          onPromote={() => void change({ version: v.prompt_version }, 'promote')}
          onShare={(share) => void setShare(v.prompt_version, share)}
        />
      ))}
      <h2>Scores over time</h2>
      <LoadError error={series.error} />
      {series.data && <SeriesCharts series={series.data} />}
    </section>
  );
}

function statusOf(v: PromptVersion): string {
  if (v.is_default) return 'default';
  return v.ab_test_percentage > 0 ? 'challenger' : 'inactive';
}

function VersionCard(props: {
  version: PromptVersion;
  current: PromptVersion | null;
  busy: boolean;
  onPromote: () => void;
  onShare: (share: number) => void;
}) {
  const v = props.version;
  const name = v.prompt_version;
  const id = `version-${name.replace(/[^\w-]/g, '_')}`;
  const [share, setShare] = useState(String(v.ab_test_percentage));
  useEffect(() => setShare(String(v.ab_test_percentage)), [v.ab_test_percentage]);
  const metrics = Object.entries(v.performance_metrics ?? {});

  return (
    <article class="card" aria-labelledby={`${id}-heading`} data-testid={`version-${name}`}>
      <h3 id={`${id}-heading`}>Version {name}</h3>
      <p>
        Status: <strong data-testid="version-status">{statusOf(v)}</strong>
        {!v.is_default && <> · A/B share {v.ab_test_percentage}%</>}
        {v.default_since && v.is_default && (
          <>
            {' '}
            · default since <Time iso={v.default_since} />
          </>
        )}
      </p>
      {!v.is_default && (
        <div class="actions">
          <button
            type="button"
            disabled={props.busy}
            onClick={props.onPromote}
            aria-label={`Promote ${name}`}
          >
            Promote
          </button>
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              props.onShare(Number(share));
            }}
          >
            <label for={`${id}-share`}>A/B share of {name} (%)</label>
            <input
              id={`${id}-share`}
              type="number"
              min={0}
              max={100}
              step={1}
              required
              value={share}
              onInput={(e) => setShare(e.currentTarget.value)}
            />
            <button type="submit" disabled={props.busy} aria-label={`Set share of ${name}`}>
              Set share
            </button>
          </form>
        </div>
      )}
      {metrics.length > 0 && (
        <details>
          <summary>Performance metrics of {name}</summary>
          <dl class="metrics">
            {metrics.map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{formatNumber(value, 3)}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
      <h4 id={`${id}-log`}>Change log</h4>
      <ul aria-label={`Change log of ${name}`} class="change-log">
        {(v.change_log ?? []).map((entry, i) => (
          <li key={i}>
            <Time iso={entry.timestamp} />: <strong>{entry.action}</strong> by {entry.by}
            {entry.ab_test_percentage !== undefined && <> ({entry.ab_test_percentage}%)</>}
            {entry.replaced_version && <> (replaced {entry.replaced_version})</>}: {entry.reason}
          </li>
        ))}
      </ul>
      {props.current && !v.is_default ? (
        <details>
          <summary>Diff against the default ({props.current.prompt_version})</summary>
          <PromptDiff before={props.current.prompt_text} after={v.prompt_text} />
        </details>
      ) : (
        <details>
          <summary>Prompt text of {name}</summary>
          <pre class="prompt-text">{v.prompt_text}</pre>
        </details>
      )}
    </article>
  );
}

function PromptDiff(props: { before: string; after: string }) {
  // Both end in a newline, so a changed last line is not also reported as removed and re-added.
  const parts = useMemo(
    () => diffLines(withNewline(props.before), withNewline(props.after)),
    [props.before, props.after],
  );
  const changed = parts.some((p) => p.added || p.removed);
  if (!changed) return <p>Same text as the default.</p>;
  return (
    <pre class="diff" data-testid="prompt-diff">
      {parts.map((part, i) => {
        const lines = part.value.replace(/\n$/, '').split('\n');
        const text = lines
          .map((line) => `${part.added ? '+ ' : part.removed ? '- ' : '  '}${line}\n`)
          .join('');
        if (part.added) {
          return (
            <ins key={i} class="diff-added">
              {text}
            </ins>
          );
        }
        if (part.removed) {
          return (
            <del key={i} class="diff-removed">
              {text}
            </del>
          );
        }
        return (
          <span key={i} class="diff-same">
            {text}
          </span>
        );
      })}
    </pre>
  );
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function SeriesCharts(props: { series: PromptSeries }) {
  const { versions } = props.series;
  const days = useMemo(
    () => [...new Set(versions.flatMap((v) => v.points.map((p) => p.day)))].sort(),
    [versions],
  );
  const chart = (pick: 'qc' | 'user') => {
    const x = days.map((d) => Date.parse(d) / 1000);
    const series = versions.map((v) => {
      const byDay = new Map(v.points.map((p) => [p.day, p]));
      return {
        label: v.version,
        values: days.map((d) => {
          const point = byDay.get(d);
          if (!point) return null;
          return pick === 'qc' ? point.qc_avg : point.user_avg;
        }),
      };
    });
    return { x, series };
  };
  const { qc, user } = useMemo(() => ({ qc: chart('qc'), user: chart('user') }), [versions, days]);

  if (days.length === 0) return <p>No QC scores or user ratings for this character yet.</p>;
  return (
    <div class="charts">
      <LineChart title="QC score per version" x={qc.x} series={qc.series} yLabel="QC score" testid="chart-qc">
        <SeriesTable caption="QC score per version, numbers" versions={versions} pick="qc" />
      </LineChart>
      <LineChart
        title="User rating per version"
        x={user.x}
        series={user.series}
        yLabel="rating"
        testid="chart-user"
      >
        <SeriesTable caption="User rating per version, numbers" versions={versions} pick="user" />
      </LineChart>
    </div>
  );
}

function SeriesTable(props: { caption: string; versions: PromptSeries['versions']; pick: 'qc' | 'user' }) {
  const rows = props.versions.flatMap((v) =>
    v.points
      .filter((p) => (props.pick === 'qc' ? p.qc_count : p.user_count) > 0)
      .map((p) => ({ version: v.version, point: p })),
  );
  return (
    <table class="numbers">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Day</th>
          <th scope="col">Average</th>
          <th scope="col">Count</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ version, point }) => (
          <tr key={`${version}:${point.day}`}>
            <th scope="row">{version}</th>
            <td>{point.day.slice(0, 10)}</td>
            <td>{formatNumber(props.pick === 'qc' ? point.qc_avg : point.user_avg)}</td>
            <td>{props.pick === 'qc' ? point.qc_count : point.user_count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
