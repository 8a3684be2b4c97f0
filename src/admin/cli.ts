/**
 * The admin CLI, over the admin HTTP API (so it works against a remote deployment too):
 *
 *   npm run admin -- crawl start [--max-pages N] [--delay-ms N] [--base-url URL] [--seed TITLE]... [--no-watch]
 *   npm run admin -- crawl watch|status|pause|resume|cancel <crawl id>      (also: npm run crawl -- ...)
 *   npm run admin -- orchestrate "<message>" [--user U] [--channel C] [--character NAME]
 *   npm run admin -- dead-letters [list [PENDING|REPLAYED|DISCARDED]] | show|replay|discard <id>
 *   npm run admin -- prompts [list [CHARACTER]] | promote CHARACTER VERSION | rollback CHARACTER
 *   npm run admin -- prompts create CHARACTER VERSION --file PROMPT.txt [--ab-percentage N]
 *   npm run admin -- stats | health | openapi
 *   npm run admin -- characters list | retire|activate NAME | import CARD.json|CARD.png [--replace]
 *   npm run admin -- characters add NAME --prompt-file F --fallback TEXT [--alias A]... [--talkativeness X]
 *   npm run admin -- characters edit NAME [--alias A]... [--fallback TEXT] [--talkativeness X] [--starter S]...
 *                                         [--avatar-url URL | --no-avatar-url]
 *   npm run admin -- characters export NAME [--png] [--out FILE]
 *   npm run admin -- lore list | show SCOPE | set SCOPE --file BOOK.json | delete SCOPE
 *   npm run admin -- channels list | show ID | clear ID
 *   npm run admin -- channels set ID [--cast A,B | --everyone] [--scenario TEXT | --scenario-file F | --no-scenario]
 *                                    [--follow-ups N | --follow-ups-default]
 *                                    [--unnamed addressed-only|coordinator | --unnamed-default]
 *                                    [--join-chance X | --join-chance-default]
 *                                    [--live | --not-live | --live-default]
 *   npm run admin -- users forget ID | deletions ID
 *
 * A lore SCOPE is global, character:<name> or channel:<channel id>.
 * ADMIN_URL (default http://ADMIN_HOST:ADMIN_PORT) and ADMIN_TOKEN say where and how.
 * Answers are printed as JSON; crawl `start` and `watch` draw a progress bar until the
 * crawl ends. Exit codes: 0 done, 1 the API refused or the crawl failed, 2 usage.
 */
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config';
import type { CrawlProgress } from '../workflows/contracts/wikiCrawl';
import { flags, UsageError } from './cliArgs';
import { channels, characters, lore, type Api } from './rosterCli';

type Progress = CrawlProgress & { workflow_status: string };
type Call = Api['call'];

const USAGE = `usage:
  npm run admin -- crawl start [--max-pages N] [--delay-ms N] [--base-url URL] [--seed TITLE]... [--no-watch]
  npm run admin -- crawl watch|status|pause|resume|cancel <crawl id>
  npm run admin -- orchestrate "<message>" [--user U] [--channel C] [--character NAME]
  npm run admin -- dead-letters [list [PENDING|REPLAYED|DISCARDED]] | show|replay|discard <id>
  npm run admin -- prompts [list [CHARACTER]] | promote CHARACTER VERSION | rollback CHARACTER
  npm run admin -- prompts create CHARACTER VERSION --file PROMPT.txt [--ab-percentage N]
  npm run admin -- stats | health | openapi
  npm run admin -- characters list | retire|activate NAME | import CARD.json|CARD.png [--replace]
  npm run admin -- characters add NAME --prompt-file F --fallback TEXT [--alias A]... [--talkativeness X]
  npm run admin -- characters edit NAME [--alias A]... [--fallback TEXT] [--talkativeness X] [--starter S]...
                                        [--avatar-url URL | --no-avatar-url]
  npm run admin -- characters export NAME [--png] [--out FILE]
  npm run admin -- lore list | show SCOPE | set SCOPE --file BOOK.json | delete SCOPE
  npm run admin -- channels list | show ID | clear ID
  npm run admin -- channels set ID [--cast A,B | --everyone] [--scenario TEXT | --scenario-file F | --no-scenario]
                                   [--follow-ups N | --follow-ups-default]
                                   [--unnamed addressed-only|coordinator | --unnamed-default]
                                   [--join-chance X | --join-chance-default]
                                   [--live | --not-live | --live-default]
  npm run admin -- users forget ID | deletions ID
  (a lore SCOPE is global, character:<name> or channel:<channel id>)`;

async function main(argv: string[]): Promise<number> {
  const config = loadConfig();
  const base = process.env.ADMIN_URL?.replace(/\/+$/, '') ?? `http://${config.adminHost}:${config.adminPort}`;
  /** The API's answer to a request (a JSON body, or bytes as they are); a refusal throws with its message. */
  const send: Api['send'] = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${config.adminToken ?? ''}`,
        'content-type': body?.contentType ?? 'application/json',
      },
      body: body?.bytes ?? (body === undefined ? undefined : JSON.stringify(body.json)),
      // /orchestrate waits up to 2 minutes for the model.
      signal: AbortSignal.timeout(path === '/orchestrate' ? 150_000 : 20_000),
    });
    // A degraded /health (503) is an answer, not a failure.
    if (!response.ok && !(path === '/health' && response.status === 503)) {
      const answer = (await response.json().catch(() => ({}))) as { error?: string };
      throw new Error(`${method} ${path}: ${response.status} ${answer.error ?? ''}`);
    }
    return response;
  };
  const call: Call = async (method, path, json) =>
    (await send(method, path, json === undefined ? undefined : { json })).json().catch(() => ({}));
  const api: Api = { call, send };
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  const [group, ...rest] = argv;

  switch (group) {
    case 'crawl':
      return crawl(rest, call);
    case 'orchestrate': {
      const { positional, values } = flags(rest, ['user', 'channel', 'character']);
      const query = positional.join(' ');
      if (!query) throw new UsageError('orchestrate needs a message');
      print(
        await call('POST', '/orchestrate', {
          query,
          user: values.user?.[0] ?? 'admin-cli',
          channel: values.channel?.[0] ?? 'admin-cli',
          ...(values.character && { character: values.character[0] }),
        }),
      );
      return 0;
    }
    case 'dead-letters': {
      const [command = 'list', arg] = rest;
      if (command === 'list')
        print(await call('GET', `/dead_letters${arg ? `?status=${encodeURIComponent(arg)}` : ''}`));
      else if (!arg) throw new UsageError(`dead-letters ${command} needs an id`);
      else if (command === 'show') print(await call('GET', `/dead_letters/${encodeURIComponent(arg)}`));
      else if (command === 'replay' || command === 'discard')
        print(await call('POST', `/dead_letters/${encodeURIComponent(arg)}/${command}`, {}));
      else throw new UsageError(`unknown dead-letters command ${command}`);
      return 0;
    }
    case 'prompts':
      print(await prompts(rest, call));
      return 0;
    case 'stats':
    case 'health':
      print(await call('GET', `/${group}`));
      return 0;
    case 'openapi':
      print(await call('GET', '/openapi.json'));
      return 0;
    case 'characters':
      print(await characters(rest, api));
      return 0;
    case 'lore':
      print(await lore(rest, api));
      return 0;
    case 'channels':
      print(await channels(rest, api));
      return 0;
    case 'users': {
      const [command, id] = rest;
      if (!id) throw new UsageError(`users ${command ?? 'forget'} needs a Discord user id`);
      if (command === 'forget') print(await call('POST', `/users/${encodeURIComponent(id)}/forget`, {}));
      else if (command === 'deletions')
        print(await call('GET', `/users/${encodeURIComponent(id)}/deletions`));
      else throw new UsageError(`unknown users command ${command}`);
      return 0;
    }
    default:
      throw new UsageError(group ? `unknown command ${group}` : 'name a command');
  }
}

async function prompts(args: string[], call: Call): Promise<unknown> {
  const { positional, values } = flags(args, ['file', 'ab-percentage', 'reason']);
  const [command = 'list', character, version] = positional;
  const reason = values.reason?.[0];
  if (command === 'list')
    return call('GET', character ? `/prompts/${encodeURIComponent(character)}` : '/prompts');
  if (!character) throw new UsageError(`prompts ${command} needs a character`);
  const path = `/prompts/${encodeURIComponent(character)}`;
  if (command === 'rollback') return call('POST', `${path}/rollback`, { ...(reason && { reason }) });
  if (!version) throw new UsageError(`prompts ${command} needs a version`);
  if (command === 'promote') return call('POST', `${path}/promote`, { version, ...(reason && { reason }) });
  if (command === 'create') {
    const file = values.file?.[0];
    if (!file) throw new UsageError('prompts create needs --file PROMPT.txt');
    return call('POST', path, {
      prompt_version: version,
      prompt_text: await readFile(file, 'utf8'),
      ab_test_percentage: Number(values['ab-percentage']?.[0] ?? 0),
      ...(reason && { reason }),
    });
  }
  throw new UsageError(`unknown prompts command ${command}`);
}

async function crawl(args: string[], call: Call): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'start') {
    const { positional, values } = flags(rest, ['max-pages', 'delay-ms', 'base-url', 'seed', 'no-watch']);
    if (positional.length > 0) throw new UsageError(`unexpected ${positional.join(' ')}`);
    const body: Record<string, unknown> = {};
    if (values['max-pages']) body.max_pages = Number(values['max-pages'][0]);
    if (values['delay-ms']) body.delay_ms = Number(values['delay-ms'][0]);
    if (values['base-url']) body.base_url = values['base-url'][0];
    if (values.seed) body.seed_titles = values.seed;
    const started = (await call('POST', '/load_fandom_wiki', body)) as {
      crawl_id: string;
      workflow_id: string;
    };
    process.stdout.write(`crawl ${started.crawl_id} started (workflow ${started.workflow_id})\n`);
    return values['no-watch'] ? 0 : watchCrawl(started.crawl_id, call);
  }
  const crawlId = rest[0];
  if (!crawlId || !['watch', 'status', 'pause', 'resume', 'cancel'].includes(command ?? '')) {
    throw new UsageError('crawl needs start, or watch|status|pause|resume|cancel and a crawl id');
  }
  if (command === 'watch') return watchCrawl(crawlId, call);
  const progress = (await call(
    command === 'status' ? 'GET' : 'POST',
    `/crawls/${crawlId}${command === 'status' ? '' : `/${command}`}`,
  )) as Progress;
  process.stdout.write(`${describe(progress)}\n`);
  return 0;
}

async function watchCrawl(crawlId: string, call: Call): Promise<number> {
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

/**
 * `[##########----------]  50/100 pages  412 chunks  1 failed  RUNNING  Peter_Griffin`, or
 * `[--------------------]    0/100 pages  0 chunks  0 failed  FAILED: indexed no page: ...`
 */
export function describe(progress: CrawlProgress): string {
  const width = 20;
  const filled = Math.min(width, Math.round((progress.pagesDone / Math.max(1, progress.maxPages)) * width));
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const current = progress.currentPage
    ? `  ${decodeURIComponent(progress.currentPage.split('/').pop() ?? '')}`
    : '';
  // Why it FAILED or was CANCELLED (absent in the progress of crawls older than the field).
  const why = progress.error ? `: ${progress.error}` : '';
  return `${bar} ${String(progress.pagesDone).padStart(4)}/${progress.maxPages} pages  ${progress.chunksAdded} chunks  ${progress.failed} failed  ${progress.state}${why}${current}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const usage = err instanceof UsageError;
      process.stderr.write(`${(err as Error).message}${usage ? `\n${USAGE}` : ''}\n`);
      process.exit(usage ? 2 : 1);
    },
  );
}
