/** Small pieces every page uses: data loading and polling, action feedback, times, JSON, links. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorMessage } from './api';
import type { Overview } from './types';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads `load()` now and whenever `deps` change, and again every `pollMs` when given (skipping a
 * tick while the previous load is still running, and while the tab is hidden).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const running = useRef(false);
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = generation.current;
    running.current = true;
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (mine !== generation.current) return;
      setError(errorMessage(err));
    } finally {
      running.current = false;
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    generation.current += 1;
    setData(null);
    void reload();
    if (!pollMs) return undefined;
    const timer = window.setInterval(() => {
      if (!running.current && document.visibilityState !== 'hidden') void reload();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [...deps, pollMs]);

  return { data, error, loading, reload };
}

export interface Polled<T> {
  /** The last answer (null before the first). */
  value: T | null;
  /** The last failed poll's message, cleared by the next answer. */
  error: string | null;
  /** The poll failed with a status in `stopOn`: there is nothing to watch. */
  gone: boolean;
  /** Shows an answer got another way (e.g. an action's) until the next poll. */
  setValue: (value: T) => void;
}

/**
 * Watches something that finishes (a crawl, a reply): `load()` now, then every `everyMs` until
 * `done(answer)`, or until it fails with an ApiError whose status is in `stopOn`. Other failures
 * are shown and retried. Starts again when `deps` change.
 */
export function usePollUntil<T>(
  load: () => Promise<T>,
  done: (value: T) => boolean,
  everyMs: number,
  deps: unknown[],
  stopOn: number[] = [404],
): Polled<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const loadRef = useRef(load);
  loadRef.current = load;
  const doneRef = useRef(done);
  doneRef.current = done;

  useEffect(() => {
    let live = true;
    let timer = 0;
    setValue(null);
    setError(null);
    setGone(false);
    const poll = async () => {
      try {
        const answer = await loadRef.current();
        if (!live) return;
        setValue(answer);
        setError(null);
        if (doneRef.current(answer)) return;
      } catch (err) {
        if (!live) return;
        setError(errorMessage(err));
        if (err instanceof ApiError && stopOn.includes(err.status)) return setGone(true);
      }
      timer = window.setTimeout(() => void poll(), everyMs);
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, deps);

  return { value, error, gone, setValue };
}

/** Runs state-changing requests one at a time and keeps the last outcome to show. */
export function useAction(): {
  busy: boolean;
  message: string | null;
  error: string | null;
  run: (work: () => Promise<string | null | void>) => Promise<void>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<string | null | void>) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      setMessage((await work()) ?? null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setMessage(null);
    setError(null);
  }, []);
  return { busy, message, error, run, clear };
}

/** The outcome of an action: a polite status line, or an alert for an error. */
export function Outcome(props: { message: string | null; error: string | null; testid?: string }) {
  return (
    <div class="outcome" data-testid={props.testid}>
      <p role="status" aria-live="polite" class="ok-text">
        {props.message ?? ''}
      </p>
      {props.error && (
        <p role="alert" class="error-text">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function LoadError(props: { error: string | null }) {
  return props.error ? (
    <p role="alert" class="error-text">
      {props.error}
    </p>
  ) : null;
}

export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span>never</span>;
  const date = new Date(props.iso);
  if (Number.isNaN(date.getTime())) return <span>{props.iso}</span>;
  return <time dateTime={date.toISOString()}>{date.toLocaleString()}</time>;
}

export function Json(props: { value: unknown; label: string }) {
  return (
    <pre class="json" tabIndex={0} aria-label={props.label}>
      {JSON.stringify(props.value, null, 2)}
    </pre>
  );
}

/** An ok/down word with a mark, so the state is never told by colour alone. */
export function StateBadge(props: { ok: boolean; okText?: string; badText?: string }) {
  return (
    <span class={props.ok ? 'badge badge-ok' : 'badge badge-bad'}>
      <span aria-hidden="true">{props.ok ? '✔ ' : '✖ '}</span>
      {props.ok ? (props.okText ?? 'ok') : (props.badText ?? 'down')}
    </span>
  );
}

export function ExternalLink(props: { href: string; children: ComponentChildren; label?: string }) {
  return (
    <a href={props.href} target="_blank" rel="noreferrer" aria-label={props.label}>
      {props.children}
    </a>
  );
}

export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/**
 * Where the Temporal UI is and which namespace, from GET /dashboard/overview: read once per page
 * load (the overview page refreshes it as it polls).
 */
let temporalInfo: Promise<{ url: string | null; namespace: string }> | null = null;

export function rememberOverview(overview: Overview): void {
  temporalInfo = Promise.resolve({
    url: overview.temporal_ui_url,
    namespace: overview.temporal_namespace ?? 'default',
  });
}

export function useTemporalUi(): { url: string | null; namespace: string } | null {
  const [info, setInfo] = useState<{ url: string | null; namespace: string } | null>(null);
  useEffect(() => {
    temporalInfo ??= api.get<Overview>('/dashboard/overview').then(
      (o) => ({ url: o.temporal_ui_url, namespace: o.temporal_namespace ?? 'default' }),
      () => {
        temporalInfo = null;
        return { url: null, namespace: 'default' };
      },
    );
    let live = true;
    void temporalInfo.then((value) => live && setInfo(value));
    return () => {
      live = false;
    };
  }, []);
  return info;
}

/** A workflow's page in the Temporal UI, or nothing when its address is unknown. */
export function WorkflowLink(props: { workflowId: string; label?: string }) {
  const info = useTemporalUi();
  if (!info?.url) return <code>{props.workflowId}</code>;
  const href = `${info.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(info.namespace)}/workflows/${encodeURIComponent(props.workflowId)}`;
  return (
    <ExternalLink href={href} label={props.label ?? `Workflow ${props.workflowId} in the Temporal UI`}>
      {props.workflowId}
    </ExternalLink>
  );
}
