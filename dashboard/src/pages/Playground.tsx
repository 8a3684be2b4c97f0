/**
 * Playground (#/playground). Accessible names: heading "Playground"; group "Characters" of
 * checkboxes named after each character ("Peter", "Brian", ...); textbox "Message"; button "Send";
 * status line with the session id (data-testid "playground-session"); list "Conversation" of
 * exchanges: the message, then per character an article "Reply from <Character>" (data-testid
 * "playground-reply") with the reply text (data-testid "reply-text"), "QC", "Prompt version",
 * "Latency", "Wiki snippets"; a group "Rate this reply" of buttons "Rate 1 of 5" … "Rate 5 of 5"
 * and the rating's outcome in role="status" (data-testid "rating-outcome"). A pending reply says
 * "<Character> is thinking…" in the card's aria-live region; replies are polled every second until done.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { LoadError, Outcome, useAction, useLoad, usePollUntil } from '../components';
import { QcText, Snippets } from './shared';
import type { PlaygroundReplyStatus, PromptVersion } from '../types';

const POLL_MS = 1_000;

interface Exchange {
  id: string;
  text: string;
  replies: { character: string; workflow_id: string }[];
}

export function PlaygroundPage() {
  const prompts = useLoad(() => api.get<{ prompts: PromptVersion[] }>('/prompts'), []);
  const characters = useMemo(
    () => [...new Set((prompts.data?.prompts ?? []).map((p) => p.character_name))].sort(),
    [prompts.data],
  );
  const [chosen, setChosen] = useState<string[]>([]);
  const [text, setText] = useState('');
  // One web session for the page's lifetime: the server gives it with the first reply.
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const send = useAction();
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (chosen.length === 0 && characters.length > 0) setChosen([characters[0] as string]);
  }, [characters]); // only when the list arrives

  const toggle = (name: string, on: boolean) =>
    setChosen((list) => (on ? [...list.filter((n) => n !== name), name] : list.filter((n) => n !== name)));

  const submit = (event: Event) => {
    event.preventDefault();
    const message = text.trim();
    if (!message) return;
    void send.run(async () => {
      if (chosen.length === 0) throw new Error('Pick at least one character.');
      const result = await api.post<{
        session_id: string;
        message_id: string;
        replies: { character: string; workflow_id: string }[];
      }>('/playground/messages', {
        ...(sessionId ? { session_id: sessionId } : {}),
        text: message,
        characters: chosen,
      });
      setSessionId(result.session_id);
      setExchanges((list) => [...list, { id: result.message_id, text: message, replies: result.replies }]);
      setText('');
      box.current?.focus();
      return null;
    });
  };

  return (
    <>
      <h1 tabIndex={-1}>Playground</h1>
      <p class="muted">
        Talk to the characters without Discord: each message goes through the same reply workflow as a Discord
        message, in a web session of its own.
      </p>
      <LoadError error={prompts.error} />
      <form class="card" onSubmit={submit} aria-label="Talk to the characters">
        <fieldset>
          <legend>Characters</legend>
          {characters.map((name) => (
            <span class="field-inline" key={name}>
              <input
                id={`pg-char-${name}`}
                type="checkbox"
                checked={chosen.includes(name)}
                onChange={(e) => toggle(name, e.currentTarget.checked)}
              />
              <label for={`pg-char-${name}`}>{name}</label>
            </span>
          ))}
          {prompts.data && characters.length === 0 && <p>No characters found.</p>}
        </fieldset>
        <div class="field">
          <label for="pg-message">Message</label>
          <textarea
            id="pg-message"
            ref={box}
            rows={3}
            maxLength={2000}
            required
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
            }}
            aria-describedby="pg-message-hint"
          />
          <small id="pg-message-hint">Ctrl+Enter sends.</small>
        </div>
        <button type="submit" disabled={send.busy || chosen.length === 0}>
          Send
        </button>
        <Outcome message={send.message} error={send.error} testid="playground-outcome" />
      </form>
      <p class="muted" role="status" data-testid="playground-session">
        {sessionId ? `Session ${sessionId}` : 'No messages yet.'}
      </p>
      <ol class="exchanges" aria-label="Conversation">
        {exchanges.map((exchange) => (
          <li key={exchange.id} class="exchange">
            <p class="you-said">
              <strong>You:</strong> {exchange.text}
            </p>
            {exchange.replies.map((r) => (
              <ReplyCard key={r.workflow_id} character={r.character} workflowId={r.workflow_id} />
            ))}
          </li>
        ))}
      </ol>
    </>
  );
}

function ReplyCard(props: { character: string; workflowId: string }) {
  const polled = usePollUntil(
    () => api.get<PlaygroundReplyStatus>(`/playground/replies/${seg(props.workflowId)}`),
    (answer) => answer.status !== 'running',
    POLL_MS,
    [props.workflowId],
  );
  const state: PlaygroundReplyStatus = polled.value ?? { status: 'running' };
  const pollError = polled.error;

  const reply = state.reply;
  return (
    <article class="card reply" aria-label={`Reply from ${props.character}`} data-testid="playground-reply">
      <h2 class="reply-heading">{props.character}</h2>
      <div aria-live="polite" data-testid="reply-live">
        {state.status === 'running' && <p>{props.character} is thinking…</p>}
        {state.status === 'failed' && (
          <p role="alert" class="error-text">
            No reply from {props.character}
            {state.error ? `: ${state.error}` : '.'}
          </p>
        )}
        {reply && (
          <>
            <p class="turn-text" data-testid="reply-text">
              {reply.text}
            </p>
            <dl class="facts">
              <dt>QC</dt>
              <dd>
                <QcText qc={reply.qc} />
              </dd>
              <dt>Prompt version</dt>
              <dd data-testid="reply-prompt-version">{reply.prompt_version}</dd>
              <dt>Latency</dt>
              <dd data-testid="reply-latency">{formatLatency(reply.latency_ms)}</dd>
              {reply.used_fallback && (
                <>
                  <dt>Fallback</dt>
                  <dd>yes: the model failed, this is the character's fallback line</dd>
                </>
              )}
            </dl>
          </>
        )}
      </div>
      {reply && reply.snippets.length > 0 && <Snippets snippets={reply.snippets} />}
      {reply && reply.snippets.length === 0 && <p class="muted">No wiki snippets used.</p>}
      {reply && <Rating responseId={reply.response_id} />}
      <LoadError error={pollError} />
    </article>
  );
}

function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function Rating(props: { responseId: string }) {
  const action = useAction();
  const [given, setGiven] = useState<number | null>(null);
  const rate = (score: number) =>
    action.run(async () => {
      const outcome = await api.post<Record<string, unknown>>('/playground/ratings', {
        response_id: props.responseId,
        score,
      });
      setGiven(score);
      const detail = typeof outcome?.status === 'string' ? ` (${outcome.status})` : '';
      return `Rated ${score} of 5${detail}.`;
    });
  return (
    <div class="rating">
      <div role="group" aria-label="Rate this reply" class="actions">
        <span aria-hidden="true">Rate:</span>
        {[1, 2, 3, 4, 5].map((score) => (
          <button
            key={score}
            type="button"
            disabled={action.busy}
            aria-pressed={given === score}
            aria-label={`Rate ${score} of 5`}
            onClick={() => void rate(score)}
          >
            {score}
          </button>
        ))}
      </div>
      <Outcome message={action.message} error={action.error} testid="rating-outcome" />
    </div>
  );
}
