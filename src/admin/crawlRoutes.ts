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
import { HttpError } from './http';
import { integerIn, MESSAGE, object, param, pathParams, responses, string, text } from './schemas';

const MAX_PAGES_LIMIT = 100_000;
const MAX_DELAY_MS = 60_000;
const MAX_SEED_TITLES = 1_000;
const MAX_URL_CHARS = 2_000;
const SEED_TITLES_PROBLEM = `seed_titles must be an array of at most ${MAX_SEED_TITLES} non-empty titles`;
/** A POST /load_fandom_wiki body: every field optional. */
export interface CrawlRequest {
  base_url?: string;
  max_pages?: number;
  delay_ms?: number;
  seed_titles?: string[];
}
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

  app.post<{ Body: CrawlRequest }>(
    '/load_fandom_wiki',
    {
      schema: {
        summary: 'start a wiki crawl',
        body: object({
          base_url: string('wiki root, default WIKI_BASE_URL', {
            format: 'uri',
            pattern: '^https?://[^/?#]',
            maxLength: MAX_URL_CHARS,
            [MESSAGE]: 'base_url must be an http(s) URL',
          }),
          max_pages: integerIn('max_pages', 1, MAX_PAGES_LIMIT),
          delay_ms: integerIn('delay_ms', 0, MAX_DELAY_MS),
          seed_titles: {
            type: 'array',
            items: text(300, 'a page title', { [MESSAGE]: SEED_TITLES_PROBLEM }),
            maxItems: MAX_SEED_TITLES,
            [MESSAGE]: SEED_TITLES_PROBLEM,
          },
        }),
        response: responses({ 202: 'crawl id and workflow id' }, [400, 413]),
      },
    },
    async (request, reply) => {
      const params = crawlParams(request.body, options.crawlDefaults);
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

/** A crawl's parameters: the request's (checked by its schema), else the defaults. */
export function crawlParams(body: CrawlRequest, defaults: WikiCrawlParams): WikiCrawlParams {
  return {
    ...defaults,
    ...(body.base_url !== undefined && { baseUrl: body.base_url.replace(/\/+$/, '') }),
    ...(body.max_pages !== undefined && { maxPages: body.max_pages }),
    ...(body.delay_ms !== undefined && { delayMs: body.delay_ms }),
    ...(body.seed_titles !== undefined && { seedTitles: body.seed_titles }),
  };
}
