/**
 * Dead letters (#/dead-letters). Accessible names: heading "Dead letters"; selects "Status"
 * (PENDING, REPLAYED, DISCARDED) and "Step" ("All steps" + each failed step); button "Refresh";
 * table "Dead letters" (time, step, workflow, error, status), each row a button "Inspect <id>";
 * the inspected entry is a region "Dead letter <id>" (data-testid "dead-letter-detail") with its
 * status text, error ("Error details", a labelled pre), payload ("Payload"), buttons "Replay" and
 * "Discard" (PENDING only). Outcomes in role="status" (data-testid "dead-letter-outcome"), e.g.
 * "Replayed: started replay workflow <id>; the entry is now REPLAYED."; the replayed reply, when
 * the API can tell it, in role="status" data-testid "replay-reply".
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, seg, withQuery } from '../api';
import {
  Json,
  LoadError,
  Outcome,
  Time,
  useAction,
  useLoad,
  usePollUntil,
  WorkflowLink,
} from '../components';
import type { DeadLetter, DeadLetterStatus, PlaygroundReplyStatus } from '../types';

const STATUSES: DeadLetterStatus[] = ['PENDING', 'REPLAYED', 'DISCARDED'];
const LIMIT = 200;

export function DeadLettersPage() {
  const [status, setStatus] = useState<DeadLetterStatus>('PENDING');
  const [step, setStep] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const list = useLoad(
    () =>
      api.get<{ counts?: Partial<Record<DeadLetterStatus, number>>; dead_letters: DeadLetter[] }>(
        withQuery('/dead_letters', { status, limit: LIMIT }),
      ),
    [status],
  );
  const entries = list.data?.dead_letters ?? [];
  const steps = useMemo(() => [...new Set(entries.map((e) => e.failed_step))].sort(), [entries]);
  const shown = step ? entries.filter((e) => e.failed_step === step) : entries;
  const counts = list.data?.counts;

  return (
    <>
      <h1 tabIndex={-1}>Dead letters</h1>
      {counts && (
        <p>
          {STATUSES.map((s, i) => (
            <span key={s}>
              {i > 0 && ' · '}
              {s}: <strong>{counts[s] ?? 0}</strong>
            </span>
          ))}
        </p>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="dl-status">Status</label>
        <select
          id="dl-status"
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value as DeadLetterStatus);
            setStep('');
          }}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label for="dl-step">Step</label>
        <select id="dl-step" value={step} onChange={(e) => setStep(e.currentTarget.value)}>
          <option value="">All steps</option>
          {steps.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void list.reload()}>
          Refresh
        </button>
      </form>
      <LoadError error={list.error} />
      <p role="status" aria-live="polite" class="muted">
        {list.loading ? 'Loading…' : `${shown.length} of ${entries.length} ${status.toLowerCase()} shown`}
      </p>
      {shown.length > 0 && (
        <table>
          <caption>Dead letters</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Step</th>
              <th scope="col">Workflow</th>
              <th scope="col">Error</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry._id} aria-current={selected === entry._id ? 'true' : undefined}>
                <td>
                  <Time iso={entry.timestamp} />
                </td>
                <td>{entry.failed_step}</td>
                <td class="wrap">
                  {entry.workflow_type}
                  <br />
                  <code>{entry.workflow_id}</code>
                </td>
                <td class="wrap">{firstLine(entry.error_details)}</td>
                <td>{entry.status}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => setSelected(entry._id)}
                    aria-label={`Inspect ${entry._id}`}
                  >
                    Inspect
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <DeadLetterDetail key={selected} id={selected} onChanged={() => void list.reload()} />}
    </>
  );
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

function DeadLetterDetail(props: { id: string; onChanged: () => void }) {
  const entry = useLoad(() => api.get<DeadLetter>(`/dead_letters/${seg(props.id)}`), [props.id]);
  const action = useAction();
  const [replayId, setReplayId] = useState<string | null>(null);
  const d = entry.data;

  useEffect(() => {
    document.getElementById('dead-letter-heading')?.focus();
  }, []);

  const act = (kind: 'replay' | 'discard') =>
    action.run(async () => {
      const result = await api.post<{ id: string; status: DeadLetterStatus; replay_workflow_id?: string }>(
        `/dead_letters/${seg(props.id)}/${kind}`,
      );
      await entry.reload();
      props.onChanged();
      if (kind === 'replay') {
        setReplayId(result.replay_workflow_id ?? null);
        return `Replayed: started replay workflow ${result.replay_workflow_id ?? '(unknown)'}; the entry is now ${result.status}.`;
      }
      return `Discarded: the entry is now ${result.status}.`;
    });

  return (
    <section class="card detail" aria-labelledby="dead-letter-heading" data-testid="dead-letter-detail">
      <h2 id="dead-letter-heading" tabIndex={-1}>
        Dead letter {props.id}
      </h2>
      <LoadError error={entry.error} />
      {d && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd data-testid="dead-letter-status">{d.status}</dd>
            <dt>Step</dt>
            <dd>{d.failed_step}</dd>
            <dt>Workflow</dt>
            <dd>
              {d.workflow_type} <WorkflowLink workflowId={d.workflow_id} />
            </dd>
            <dt>Recorded</dt>
            <dd>
              <Time iso={d.timestamp} />
            </dd>
            <dt>Retry attempts</dt>
            <dd>{d.retry_attempts}</dd>
            {d.replay_workflow_id && (
              <>
                <dt>Replay workflow</dt>
                <dd>
                  <WorkflowLink workflowId={d.replay_workflow_id} />
                </dd>
              </>
            )}
            {d.resolved_at && (
              <>
                <dt>Resolved</dt>
                <dd>
                  <Time iso={d.resolved_at} /> by {d.resolved_by ?? 'unknown'}
                </dd>
              </>
            )}
          </dl>
          {d.status === 'PENDING' && (
            <div class="actions">
              <button type="button" disabled={action.busy} onClick={() => void act('replay')}>
                Replay
              </button>
              <button type="button" disabled={action.busy} onClick={() => void act('discard')}>
                Discard
              </button>
            </div>
          )}
          <Outcome message={action.message} error={action.error} testid="dead-letter-outcome" />
          {/* Only a reply's replay has a reply to show (other workflows' replays have no such route). */}
          {replayId && d.workflow_type === 'ReplyWorkflow' && <ReplayReply workflowId={replayId} />}
          <h3>Error details</h3>
          <pre class="json" tabIndex={0} aria-label="Error details">
            {d.error_details}
          </pre>
          <h3>Payload</h3>
          <Json value={d.failed_event_payload} label="Payload" />
        </>
      )}
    </section>
  );
}

/**
 * The replayed reply, when the API can tell it (GET /playground/replies/:workflow_id answers for
 * reply workflows): polled every 2 s until done. Nothing is shown when the route does not know it.
 */
function ReplayReply(props: { workflowId: string }) {
  const { value, gone } = usePollUntil(
    () => api.get<PlaygroundReplyStatus>(`/playground/replies/${seg(props.workflowId)}`),
    (answer) => answer.status !== 'running',
    2_000,
    [props.workflowId],
    [400, 404],
  );
  const text = gone
    ? null
    : value?.status === 'done' && value.reply
      ? `Reply from ${value.reply.character}: ${value.reply.text}`
      : value?.status === 'failed'
        ? `The replay failed${value.error ? `: ${value.error}` : ''}.`
        : 'Waiting for the replayed reply…';
  if (text === null) return null;
  return (
    <p role="status" aria-live="polite" data-testid="replay-reply">
      {text}
    </p>
  );
}
