import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { WikiCrawlWorkflow } from '../workflows/wikiCrawl';
import type { Logger } from '../logger';
import {
  cancelCrawl,
  crawlProgress,
  pauseCrawl,
  resumeCrawl,
  CRAWL_SEARCH_ATTRIBUTES,
  WIKI_CRAWL_WORKFLOW_TYPE,
  wikiCrawlWorkflowId,
  type CrawlProgress,
  type WikiCrawlParams,
} from '../workflows/contracts/wikiCrawl';
import { bodyOf, HttpError } from './http';
import { integer, object, param, pathParams, responses, string } from './schemas';

const MAX_PAGES_LIMIT = 100_000;
const MAX_DELAY_MS = 60_000;
const MAX_SEED_TITLES = 1_000;
const CRAWL_ID = '[\\w-]+';
/** Temporal's IndexedValueType numbers (temporal.api.enums.v1) of the search attribute types. */
const INDEXED_VALUE_TYPE: Record<string, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/**
 * Wiki crawls: POST /load_fandom_wiki starts one (the seed's endpoint); GET /crawls/:id
 * shows its progress; POST /crawls/:id/{pause,resume,cancel} steer it by signal.
 * A crawl upserts its search attributes only when the namespace has them registered
 * (checked on start until they are found): on a cluster without them crawls still run.
 */
export function crawlRoutes(
  app: FastifyInstance,
  options: { temporal: Client; taskQueue: string; crawlDefaults: WikiCrawlParams; log: Logger },
): void {
  const { temporal } = options;
  let searchAttributesFound = false;
  const searchAttributesRegistered = async (): Promise<boolean> => {
    searchAttributesFound ||= await crawlSearchAttributesRegistered(temporal, options.log);
    return searchAttributesFound;
  };
  const handleFor = (crawlId: string) =>
    temporal.workflow.getHandle<typeof WikiCrawlWorkflow>(wikiCrawlWorkflowId(crawlId));
  const progressOf = async (crawlId: string) => {
    try {
      const handle = handleFor(crawlId);
      const description = await handle.describe();
      let progress: CrawlProgress;
      try {
        progress = await handle.query(crawlProgress);
      } catch (err) {
        // No worker to answer (or a closed run it cannot replay): the memo has the progress too.
        const memo = description.memo?.progress as CrawlProgress | undefined;
        if (!memo) throw err;
        progress = memo;
      }
      return { ...progress, workflow_id: handle.workflowId, workflow_status: description.status.name };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, `no crawl ${crawlId}`);
      throw err;
    }
  };

  app.post(
    '/load_fandom_wiki',
    {
      schema: {
        summary: 'start a wiki crawl',
        body: object({
          base_url: string('wiki root, default WIKI_BASE_URL'),
          max_pages: integer(1, MAX_PAGES_LIMIT),
          delay_ms: integer(0, MAX_DELAY_MS),
          seed_titles: { type: 'array', items: string(), maxItems: MAX_SEED_TITLES },
        }),
        response: responses({ 202: 'crawl id and workflow id' }, [400, 413]),
      },
    },
    async (request, reply) => {
      const params = crawlParams(bodyOf(request), options.crawlDefaults);
      const crawlId = `${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}-${randomUUID().slice(0, 8)}`;
      const handle = await temporal.workflow.start<typeof WikiCrawlWorkflow>(WIKI_CRAWL_WORKFLOW_TYPE, {
        taskQueue: options.taskQueue,
        workflowId: wikiCrawlWorkflowId(crawlId),
        args: [{ ...params, crawlId, searchAttributes: await searchAttributesRegistered() }],
        memo: { params },
      });
      return reply.code(202).send({ crawl_id: crawlId, workflow_id: handle.workflowId, params });
    },
  );

  app.get<{ Params: { id: string } }>(
    `/crawls/${param('id', CRAWL_ID)}`,
    {
      schema: {
        summary: 'crawl progress (query)',
        params: pathParams({ id: CRAWL_ID }),
        response: responses({ 200: 'progress' }, [404]),
      },
    },
    (request) => progressOf(request.params.id),
  );

  const signals = { pause: pauseCrawl, resume: resumeCrawl, cancel: cancelCrawl };
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(
      `/crawls/${param('id', CRAWL_ID)}/${action}`,
      {
        schema: {
          summary: `${action} a crawl (signal)`,
          params: pathParams({ id: CRAWL_ID }),
          response: responses({ 202: 'the crawl progress' }, [404]),
        },
      },
      async (request, reply) => {
        const crawlId = request.params.id;
        await progressOf(crawlId); // 404 for an unknown crawl
        await handleFor(crawlId).signal(signals[action]);
        return reply.code(202).send(await progressOf(crawlId));
      },
    );
  }
}

/**
 * Whether the client's namespace has every CRAWL_SEARCH_ATTRIBUTES key with its type (temporal/setup.sh
 * registers them; the local dev server gets them at start). False when it cannot tell (e.g. the operator
 * service is not open to this client): then crawls run without search attributes.
 */
export async function crawlSearchAttributesRegistered(temporal: Client, log?: Logger): Promise<boolean> {
  try {
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({
      namespace: temporal.options.namespace,
    });
    const missing = Object.values(CRAWL_SEARCH_ATTRIBUTES).filter(
      (key) => customAttributes?.[key.name] !== INDEXED_VALUE_TYPE[key.type],
    );
    if (missing.length > 0) {
      log?.warn(
        { missing: missing.map((key) => `${key.name}=${key.type}`) },
        'crawl search attributes not registered in the namespace (temporal/setup.sh): crawls run without them',
      );
    }
    return missing.length === 0;
  } catch (err) {
    log?.warn({ err }, 'cannot list search attributes: crawls run without them');
    return false;
  }
}

/** Validates a crawl request body; every field is optional. */
export function crawlParams(body: Record<string, unknown>, defaults: WikiCrawlParams): WikiCrawlParams {
  const problems: string[] = [];
  const known = ['base_url', 'max_pages', 'delay_ms', 'seed_titles'];
  for (const key of Object.keys(body)) if (!known.includes(key)) problems.push(`unknown field "${key}"`);
  const params = { ...defaults };
  if (body.base_url !== undefined) {
    try {
      if (typeof body.base_url !== 'string') throw new Error();
      const url = new URL(body.base_url);
      if (!['http:', 'https:'].includes(url.protocol)) throw new Error();
      params.baseUrl = body.base_url.replace(/\/+$/, '');
    } catch {
      problems.push('base_url must be an http(s) URL');
    }
  }
  const integer = (key: string, min: number, max: number): number | undefined => {
    const value = body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be an integer in ${min}..${max}`);
      return undefined;
    }
    return value;
  };
  params.maxPages = integer('max_pages', 1, MAX_PAGES_LIMIT) ?? params.maxPages;
  params.delayMs = integer('delay_ms', 0, MAX_DELAY_MS) ?? params.delayMs;
  if (body.seed_titles !== undefined) {
    const titles = body.seed_titles;
    if (
      !Array.isArray(titles) ||
      titles.length > MAX_SEED_TITLES ||
      !titles.every((t) => typeof t === 'string' && t.trim() !== '' && t.length <= 300)
    ) {
      problems.push(`seed_titles must be an array of at most ${MAX_SEED_TITLES} non-empty titles`);
    } else {
      params.seedTitles = titles.map((t: string) => t.trim());
    }
  }
  if (problems.length > 0) throw new HttpError(400, problems.join('; '));
  return params;
}
