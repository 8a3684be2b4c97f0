/**
 * Conversations (#/conversations). Accessible names: heading "Conversations"; button "Refresh";
 * table "Sessions" (session, channel, last turn, turns) with a button "Open <session id>" per row;
 * the open session is a region "Session <session id>" (data-testid "session-turns") with a list
 * "Turns" of articles (data-testid "turn"), newest first: author, time, text, and for bot turns
 * "Prompt version", "QC" (e.g. "passed, score 0.82"), "Fallback", a list "Wiki snippets" of links
 * (rel="noreferrer") and a disclosure "Raw and final text"; button "Older turns" while there are more.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, seg, withQuery } from '../api';
import { LoadError, Time, useLoad } from '../components';
import { QcText, Snippets } from './shared';
import type { SessionSummary, Turn } from '../types';

const PAGE = 30;

export function ConversationsPage() {
  const sessions = useLoad(
    () => api.get<{ sessions: SessionSummary[] }>(withQuery('/conversations', { limit: 100 })),
    [],
  );
  const [open, setOpen] = useState<string | null>(null);

  return (
    <>
      <h1 tabIndex={-1}>Conversations</h1>
      <p>
        <button type="button" onClick={() => void sessions.reload()}>
          Refresh
        </button>
      </p>
      <LoadError error={sessions.error} />
      {sessions.data && sessions.data.sessions.length === 0 && <p>No conversations yet.</p>}
      {sessions.data && sessions.data.sessions.length > 0 && (
        <table>
          <caption>Sessions</caption>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Channel</th>
              <th scope="col">Last turn</th>
              <th scope="col">Turns</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.sessions.map((s) => (
              <tr key={s.session_id} aria-current={open === s.session_id ? 'true' : undefined}>
                <th scope="row">
                  <code>{s.session_id}</code>
                </th>
                <td>
                  <code>{s.channel_id}</code>
                </td>
                <td>
                  <Time iso={s.last_turn_at} />
                </td>
                <td>{s.turns}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => setOpen(s.session_id)}
                    aria-label={`Open ${s.session_id}`}
                  >
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <SessionTurns key={open} sessionId={open} />}
    </>
  );
}

function SessionTurns(props: { sessionId: string }) {
  const [turns, setTurns] = useState<Turn[]>([]);
  // An opaque cursor (B: a turn id today): passed back unchanged as `before`.
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async (before: string | null) => {
    setLoading(true);
    try {
      const page = await api.get<{ turns: Turn[]; next_before: string | null }>(
        withQuery(`/conversations/${seg(props.sessionId)}/turns`, { before, limit: PAGE }),
      );
      setTurns((previous) => (before ? [...previous, ...page.turns] : page.turns));
      setNextBefore(page.next_before);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void load(null);
    document.getElementById('session-heading')?.focus();
  }, [props.sessionId]); // load is this component's own

  return (
    <section class="card" aria-labelledby="session-heading" data-testid="session-turns">
      <h2 id="session-heading" tabIndex={-1}>
        Session {props.sessionId}
      </h2>
      <LoadError error={error} />
      <p role="status" aria-live="polite" class="muted">
        {loading
          ? 'Loading turns… (a long history can take a while)'
          : `${turns.length} turns shown${nextBefore ? ', older ones available' : ''}`}
      </p>
      <ol class="turns" aria-label="Turns">
        {turns.map((turn) => (
          <li key={turn.turn_id}>
            <TurnView turn={turn} />
          </li>
        ))}
      </ol>
      {nextBefore && (
        <button type="button" disabled={loading} onClick={() => void load(nextBefore)}>
          Older turns
        </button>
      )}
    </section>
  );
}

function TurnView(props: { turn: Turn }) {
  const t = props.turn;
  const bot = t.role === 'bot';
  const name = t.character ?? t.author;
  return (
    <article
      class={bot ? 'turn turn-bot' : 'turn turn-user'}
      data-testid="turn"
      aria-label={`${name}, ${t.role}`}
    >
      <header>
        <strong>{name}</strong>{' '}
        <span class="muted">({bot ? (t.is_organic_initiation ? 'bot, organic start' : 'bot') : t.role})</span>{' '}
        · <Time iso={t.created_at} />
      </header>
      <p class="turn-text">{t.text}</p>
      {bot && (
        <dl class="facts">
          <dt>Prompt version</dt>
          <dd>{t.prompt_version ?? '–'}</dd>
          <dt>QC</dt>
          <dd>
            <QcText qc={t.qc} />
          </dd>
          {t.used_fallback !== undefined && (
            <>
              <dt>Fallback</dt>
              <dd>{t.used_fallback ? 'yes (fallback line)' : 'no'}</dd>
            </>
          )}
        </dl>
      )}
      {t.rag_context_used && t.rag_context_used.length > 0 && <Snippets snippets={t.rag_context_used} />}
      {bot && (t.raw_text !== undefined || t.final_text !== undefined) && (
        <details>
          <summary>Raw and final text</summary>
          <h4>Raw (from the model)</h4>
          <pre class="prompt-text">{t.raw_text ?? '(none: the model gave no answer)'}</pre>
          <h4>Final (posted)</h4>
          <pre class="prompt-text">{t.final_text ?? t.text}</pre>
        </details>
      )}
      {t.candidates && (
        <details>
          <summary>Regenerated: {t.candidates.length} versions</summary>
          <ol>
            {t.candidates.map((candidate, index) => (
              <li key={index}>
                {candidate.source === 'original'
                  ? 'Original'
                  : `Asked for by ${candidate.requested_by ?? '?'}`}
                , {candidate.prompt_version}
                {candidate.qc_score !== null && `, QC ${candidate.qc_score}`}
                {index === t.chosen_candidate ? ' (stands)' : ' (replaced)'}
                <pre class="prompt-text">{candidate.text}</pre>
              </li>
            ))}
          </ol>
        </details>
      )}
    </article>
  );
}
