/**
 * The admin CLI, over the admin HTTP API (so it works against a remote deployment too):
 *
 *   npm run crawl -- start [--max-pages N] [--delay-ms N] [--base-url URL] [--seed TITLE]... [--no-watch]
 *   npm run crawl -- watch|status|pause|resume|cancel <crawl id>
 *
 * ADMIN_URL (default http://ADMIN_HOST:ADMIN_PORT) and ADMIN_TOKEN say where and how.
 * `start` and `watch` draw a progress bar until the crawl ends.
 */
import { loadConfig } from '../config';
import type { CrawlProgress } from '../workflows/types';

type Progress = CrawlProgress & { workflow_status: string };

const USAGE = `usage:
  npm run crawl -- start [--max-pages N] [--delay-ms N] [--base-url URL] [--seed TITLE]... [--no-watch]
  npm run crawl -- watch|status|pause|resume|cancel <crawl id>`;

async function main(argv: string[]): Promise<number> {
  const config = loadConfig();
  const base = process.env.ADMIN_URL?.replace(/\/+$/, '') ?? `http://${config.adminHost}:${config.adminPort}`;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${config.adminToken ?? ''}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const answer = (await response.json().catch(() => ({}))) as { error?: string };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${answer.error ?? ''}`);
    return answer;
  };

  const [command, ...rest] = argv;
  if (command === 'start') {
    const body: Record<string, unknown> = {};
    const seeds: string[] = [];
    let watch = true;
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i];
      const value = rest[i + 1];
      if (flag === '--no-watch') watch = false;
      else if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      else if (flag === '--max-pages') body.max_pages = Number((i++, value));
      else if (flag === '--delay-ms') body.delay_ms = Number((i++, value));
      else if (flag === '--base-url') body.base_url = (i++, value);
      else if (flag === '--seed') seeds.push((i++, value));
      else throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
    if (seeds.length > 0) body.seed_titles = seeds;
    const started = (await call('POST', '/load_fandom_wiki', body)) as {
      crawl_id: string;
      workflow_id: string;
    };
    process.stdout.write(`crawl ${started.crawl_id} started (workflow ${started.workflow_id})\n`);
    return watch ? watchCrawl(started.crawl_id, call) : 0;
  }
  const crawlId = rest[0];
  if (!crawlId || !['watch', 'status', 'pause', 'resume', 'cancel'].includes(command ?? '')) {
    throw new Error(USAGE);
  }
  if (command === 'watch') return watchCrawl(crawlId, call);
  const progress = (await call(
    command === 'status' ? 'GET' : 'POST',
    `/crawls/${crawlId}${command === 'status' ? '' : `/${command}`}`,
  )) as Progress;
  process.stdout.write(`${describe(progress)}\n`);
  return 0;
}

async function watchCrawl(
  crawlId: string,
  call: (method: 'GET', path: string) => Promise<unknown>,
): Promise<number> {
  const tty = process.stderr.isTTY;
  for (;;) {
    const progress = (await call('GET', `/crawls/${crawlId}`)) as Progress;
    const line = describe(progress);
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    if (progress.workflow_status !== 'RUNNING') {
      if (tty) process.stderr.write('\n');
      return progress.state === 'SUCCESS' ? 0 : 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** `[##########----------]  50/100 pages  412 chunks  1 failed  RUNNING  Peter_Griffin` */
export function describe(progress: CrawlProgress): string {
  const width = 20;
  const filled = Math.min(width, Math.round((progress.pagesDone / Math.max(1, progress.maxPages)) * width));
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const current = progress.currentPage
    ? `  ${decodeURIComponent(progress.currentPage.split('/').pop() ?? '')}`
    : '';
  return `${bar} ${String(progress.pagesDone).padStart(4)}/${progress.maxPages} pages  ${progress.chunksAdded} chunks  ${progress.failed} failed  ${progress.state}${current}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
