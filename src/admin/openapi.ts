/**
 * The admin API's OpenAPI 3.1 document, served at GET /openapi.json. A test matches it
 * against the routes the server has, so neither can drift from the other.
 */

type Schema = Record<string, unknown>;

const string = (description?: string): Schema => ({ type: 'string', ...(description && { description }) });
const integer = (minimum: number, maximum: number, description?: string): Schema => ({
  type: 'integer',
  minimum,
  maximum,
  ...(description && { description }),
});
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const anyObject: Schema = { type: 'object' };

interface Operation {
  summary: string;
  body?: Schema;
  /** Success status and what it returns. */
  ok: [number, string];
  open?: boolean;
  params?: string[];
  query?: Record<string, Schema>;
}

function operation(op: Operation) {
  return {
    summary: op.summary,
    ...(op.open ? { security: [] } : {}),
    parameters: [
      ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: string() })),
      ...Object.entries(op.query ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
      })),
    ],
    ...(op.body && {
      requestBody: { required: false, content: { 'application/json': { schema: op.body } } },
    }),
    responses: {
      [op.ok[0]]: { description: op.ok[1], content: { 'application/json': { schema: anyObject } } },
      ...(op.open
        ? {}
        : {
            '401': { $ref: '#/components/responses/Error' },
            '503': { $ref: '#/components/responses/Error' },
          }),
      '400': { $ref: '#/components/responses/Error' },
      '404': { $ref: '#/components/responses/Error' },
      '413': { $ref: '#/components/responses/Error' },
    },
  };
}

const crawlAction = (action: string) => ({
  post: operation({ summary: `${action} a crawl (signal)`, params: ['id'], ok: [202, 'the crawl progress'] }),
});
const organicAction = (summary: string) => ({
  post: operation({ summary, params: ['channel'], ok: [202, 'the schedule state'] }),
});

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Family Guy bots admin API',
    version: '1',
    description:
      'Every route but /health and /openapi.json needs `Authorization: Bearer <ADMIN_TOKEN>`. Errors are ' +
      '`{"error": "<message>"}`; request bodies are JSON objects of at most 64 KiB.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    responses: {
      Error: {
        description: 'what was wrong',
        content: { 'application/json': { schema: object({ error: string() }, ['error']) } },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/health': {
      get: operation({
        summary: 'health of each dependency',
        open: true,
        ok: [200, 'all reachable (503: degraded)'],
      }),
    },
    '/openapi.json': { get: operation({ summary: 'this document', open: true, ok: [200, 'OpenAPI 3.1'] }) },
    '/orchestrate': {
      post: operation({
        summary: 'answer a message in character without Discord (runs ReplyWorkflow)',
        body: object(
          {
            query: string('the message, at most 4000 characters'),
            user: string('who asks'),
            channel: string('conversation (session) id, e.g. a Discord channel id'),
            character: string(
              'who answers; default: the first named in the query, else the first of the roster',
            ),
          },
          ['query', 'user', 'channel'],
        ),
        ok: [200, 'the reply (202 with the workflow id if it takes over 2 minutes)'],
      }),
    },
    '/load_fandom_wiki': {
      post: operation({
        summary: 'start a wiki crawl',
        body: object({
          base_url: string('wiki root, default WIKI_BASE_URL'),
          max_pages: integer(1, 100_000),
          delay_ms: integer(0, 60_000),
          seed_titles: { type: 'array', items: string(), maxItems: 1000 },
        }),
        ok: [202, 'crawl id and workflow id'],
      }),
    },
    '/crawls/{id}': {
      get: operation({ summary: 'crawl progress (query)', params: ['id'], ok: [200, 'progress'] }),
    },
    '/crawls/{id}/pause': crawlAction('pause'),
    '/crawls/{id}/resume': crawlAction('resume'),
    '/crawls/{id}/cancel': crawlAction('cancel'),
    '/organic/{channel}': {
      get: operation({
        summary: "a channel's organic schedule",
        params: ['channel'],
        ok: [200, 'schedule state'],
      }),
    },
    '/organic/{channel}/pause': organicAction('pause organic starts'),
    '/organic/{channel}/resume': organicAction('resume organic starts'),
    '/organic/{channel}/trigger': organicAction('run a silence check now'),
    '/organic/{channel}/settings': {
      post: operation({
        summary: 'change thresholds and check interval',
        params: ['channel'],
        body: object({
          silence_seconds: integer(1, 604_800),
          cooldown_seconds: integer(1, 604_800),
          check_seconds: integer(1, 86_400),
          quiet_hours_utc: {
            oneOf: [{ type: 'null' }, object({ start_hour: integer(0, 23), end_hour: integer(0, 23) })],
          },
        }),
        ok: [202, 'schedule state'],
      }),
    },
    '/prompts': { get: operation({ summary: 'every prompt version', ok: [200, 'versions with metrics'] }) },
    '/prompts/{character}': {
      get: operation({
        summary: "a character's prompt versions",
        params: ['character'],
        ok: [200, 'versions'],
      }),
      post: operation({
        summary: 'add a prompt version, optionally on an A/B test',
        params: ['character'],
        body: object(
          {
            prompt_version: string('letters, digits, . _ -'),
            prompt_text: string('at most 12000 characters'),
            ab_test_percentage: integer(0, 100),
            fallback_line: string(),
            reason: string(),
          },
          ['prompt_version', 'prompt_text'],
        ),
        ok: [201, 'the new version'],
      }),
    },
    '/prompts/{character}/promote': {
      post: operation({
        summary: 'make a version the default (PromptVersionsWorkflow update; 503 when no worker takes it)',
        params: ['character'],
        body: object({ version: string(), reason: string() }, ['version']),
        ok: [200, 'new default and the one it replaced'],
      }),
    },
    '/prompts/{character}/rollback': {
      post: operation({
        summary: 'return to the default the current one replaced',
        params: ['character'],
        body: object({ reason: string() }),
        ok: [200, 'new default and the one it replaced'],
      }),
    },
    '/dead_letters': {
      get: operation({
        summary: 'dead-letter entries and counts',
        query: { status: { enum: ['PENDING', 'REPLAYED', 'DISCARDED'] }, limit: integer(1, 500) },
        ok: [200, 'counts and entries'],
      }),
    },
    '/dead_letters/{id}': {
      get: operation({ summary: 'one entry (id URL-encoded)', params: ['id'], ok: [200, 'the entry'] }),
    },
    '/dead_letters/{id}/replay': {
      post: operation({
        summary: 'run the failed step again through its workflow',
        params: ['id'],
        body: object({ by: string() }),
        ok: [202, 'the replay workflow id'],
      }),
    },
    '/dead_letters/{id}/discard': {
      post: operation({
        summary: 'close an entry without replaying',
        params: ['id'],
        body: object({ by: string() }),
        ok: [200, 'new status'],
      }),
    },
    '/stats': { get: operation({ summary: 'QC and rating statistics', ok: [200, 'statistics'] }) },
  },
} as const;
