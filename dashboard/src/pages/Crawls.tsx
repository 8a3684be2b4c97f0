/**
 * Crawls (#/crawls). Accessible names: heading "Crawls"; form "Start a crawl" with fields "Base URL",
 * "Max pages", "Delay between pages (ms)" and button "Start crawl"; region "Crawl <id>" (data-testid
 * "crawl-progress") with a progressbar "Crawl progress" (value pages done, max max pages), a status
 * line (role="status", data-testid "crawl-progress-text", e.g. "RUNNING: 3 of 10 pages, 12 chunks,
 * 0 failures"), buttons "Pause", "Resume", "Cancel", and link "Workflow <id> in the Temporal UI";
 * table "Crawl history" with a link to each workflow and a button "Watch <id>" per row. Polls GET /crawls/:id every 2 s until the
 * crawl is SUCCESS, FAILED or CANCELLED.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, seg, withQuery } from '../api';
import { LoadError, Outcome, Time, useAction, useLoad, usePollUntil, WorkflowLink } from '../components';
import type { CrawlHistoryEntry, CrawlProgress } from '../types';

const POLL_MS = 2_000;
const FINISHED = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

export function CrawlsPage() {
  const [active, setActive] = useState<string | null>(null);
  const history = useLoad(
    () => api.get<{ crawls: CrawlHistoryEntry[] }>(withQuery('/crawls', { limit: 50 })),
    [],
  );

  return (
    <>
      <h1 tabIndex={-1}>Crawls</h1>
      <StartCrawl
        onStarted={(id) => {
          setActive(id);
          void history.reload();
        }}
      />
      {active && <CrawlWatch key={active} crawlId={active} onFinished={() => void history.reload()} />}
      <section aria-labelledby="crawl-history-heading">
        <h2 id="crawl-history-heading">History</h2>
        <LoadError error={history.error} />
        {history.data && history.data.crawls.length === 0 && <p>No crawls yet.</p>}
        {history.data && history.data.crawls.length > 0 && (
          <table>
            <caption>Crawl history</caption>
            <thead>
              <tr>
                <th scope="col">Crawl</th>
                <th scope="col">Status</th>
                <th scope="col">Pages</th>
                <th scope="col">Chunks</th>
                <th scope="col">Last update</th>
                <th scope="col">Error</th>
                <th scope="col">Workflow</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {history.data.crawls.map((c) => (
                <tr key={c._id}>
                  <th scope="row">
                    <code>{c._id}</code>
                  </th>
                  <td>{c.status}</td>
                  <td>{c.pages_crawled}</td>
                  <td>{c.documents_added}</td>
                  <td>
                    <Time iso={c.last_crawl_timestamp} />
                  </td>
                  <td class="wrap">{c.error_message ?? ''}</td>
                  <td>{c.workflow_id && <WorkflowLink workflowId={c.workflow_id} />}</td>
                  <td>
                    <button type="button" onClick={() => setActive(c._id)} aria-label={`Watch ${c._id}`}>
                      Watch
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function StartCrawl(props: { onStarted: (crawlId: string) => void }) {
  const [baseUrl, setBaseUrl] = useState('');
  const [maxPages, setMaxPages] = useState('50');
  const [delayMs, setDelayMs] = useState('1000');
  const action = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const body: Record<string, unknown> = { max_pages: Number(maxPages), delay_ms: Number(delayMs) };
      if (baseUrl.trim()) body.base_url = baseUrl.trim();
      const result = await api.post<{ crawl_id: string; workflow_id: string }>('/load_fandom_wiki', body);
      props.onStarted(result.crawl_id);
      return `Started crawl ${result.crawl_id} (workflow ${result.workflow_id}).`;
    });
  };

  return (
    <form class="card" aria-labelledby="start-crawl-heading" onSubmit={submit}>
      <h2 id="start-crawl-heading">Start a crawl</h2>
      <div class="field">
        <label for="crawl-base-url">Base URL</label>
        <input
          id="crawl-base-url"
          type="url"
          placeholder="https://familyguy.fandom.com"
          value={baseUrl}
          onInput={(e) => setBaseUrl(e.currentTarget.value)}
          aria-describedby="crawl-base-url-hint"
        />
        <small id="crawl-base-url-hint">Empty: the configured wiki.</small>
      </div>
      <div class="field">
        <label for="crawl-max-pages">Max pages</label>
        <input
          id="crawl-max-pages"
          type="number"
          min={1}
          max={100000}
          step={1}
          required
          value={maxPages}
          onInput={(e) => setMaxPages(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="crawl-delay">Delay between pages (ms)</label>
        <input
          id="crawl-delay"
          type="number"
          min={0}
          max={60000}
          step={1}
          required
          value={delayMs}
          onInput={(e) => setDelayMs(e.currentTarget.value)}
        />
      </div>
      <button type="submit" disabled={action.busy}>
        Start crawl
      </button>
      <Outcome message={action.message} error={action.error} testid="crawl-start-outcome" />
    </form>
  );
}

function CrawlWatch(props: { crawlId: string; onFinished: () => void }) {
  const action = useAction();
  const { crawlId, onFinished } = props;
  // A finished crawl that is resumed is not watched again: resume applies to running ones.
  const watched = usePollUntil(
    () => api.get<CrawlProgress>(`/crawls/${seg(crawlId)}`),
    (answer) => FINISHED.has(answer.state),
    POLL_MS,
    [crawlId],
  );
  const { value: progress, error, setValue: setProgress } = watched;
  const finished = progress !== null && FINISHED.has(progress.state);
  useEffect(() => {
    if (finished) onFinished();
  }, [finished]); // onFinished is the page's, stable enough for this

  const signal = (kind: 'pause' | 'resume' | 'cancel') =>
    action.run(async () => {
      const p = await api.post<CrawlProgress>(`/crawls/${seg(crawlId)}/${kind}`);
      setProgress(p);
      return `${kind === 'pause' ? 'Pause' : kind === 'resume' ? 'Resume' : 'Cancel'} sent: the crawl is ${p.state}.`;
    });

  const p = progress;
  const text = p
    ? `${p.state}: ${p.pagesDone} of ${p.maxPages} pages, ${p.chunksAdded} chunks, ${p.failed} ${
        p.failed === 1 ? 'failure' : 'failures'
      }${p.queued ? `, ${p.queued} queued` : ''}`
    : 'Waiting for the crawl…';

  return (
    <section class="card" aria-labelledby="crawl-watch-heading" data-testid="crawl-progress">
      <h2 id="crawl-watch-heading">Crawl {crawlId}</h2>
      <LoadError error={error} />
      <label for="crawl-progress-bar">Crawl progress</label>
      <progress
        id="crawl-progress-bar"
        max={Math.max(1, p?.maxPages ?? 1)}
        value={p ? (p.state === 'SUCCESS' ? p.maxPages : p.pagesDone) : undefined}
        aria-describedby="crawl-progress-text"
      />
      <p id="crawl-progress-text" role="status" aria-live="polite" data-testid="crawl-progress-text">
        {text}
      </p>
      {p?.currentPage && !finished && (
        <p class="muted wrap">
          Now: <code>{p.currentPage}</code>
        </p>
      )}
      {p?.plan && <p class="muted wrap">Plan: {p.plan}</p>}
      {p?.error && (
        <p class="error-text wrap" role="alert">
          {p.error}
        </p>
      )}
      {p && (
        <p>
          Workflow: <WorkflowLink workflowId={p.workflow_id} />
        </p>
      )}
      {!finished && (
        <div class="actions">
          <button
            type="button"
            disabled={action.busy || p?.state === 'PAUSED'}
            onClick={() => void signal('pause')}
          >
            Pause
          </button>
          <button
            type="button"
            disabled={action.busy || (p !== null && p.state !== 'PAUSED')}
            onClick={() => void signal('resume')}
          >
            Resume
          </button>
          <button type="button" disabled={action.busy} onClick={() => void signal('cancel')}>
            Cancel
          </button>
        </div>
      )}
      <Outcome message={action.message} error={action.error} testid="crawl-action-outcome" />
    </section>
  );
}
