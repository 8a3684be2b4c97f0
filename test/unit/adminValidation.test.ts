/**
 * The admin API's request validation (src/admin/validation.ts): the route schemas checked by Ajv,
 * refusals worded as clients know them, no coercion of JSON bodies, query strings made integers,
 * strings trimmed, defaults filled in. On Fastify's inject, with routes whose handlers echo what
 * they were given.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { parseJsonBodies } from '../../src/admin/http';
import { integer, integerIn, limit, MESSAGE, object, query, text } from '../../src/admin/schemas';
import { validateRequests } from '../../src/admin/validation';

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  validateRequests(app);
  parseJsonBodies(app);
  const echo = (request: { body: unknown; query: unknown }) => ({ body: request.body, query: request.query });
  app.post(
    '/messages',
    {
      schema: {
        body: object(
          {
            query: text(10),
            share: integer(0, 100, undefined, { default: 0 }),
            delay_ms: integerIn('delay_ms', 0, 60),
            titles: { type: 'array', items: text(5, undefined, { [MESSAGE]: 'titles: bad' }), maxItems: 2 },
            hours: {
              ...object({ start_hour: integer(0, 23) }, ['start_hour']),
              type: ['object', 'null'],
            },
          },
          ['query'],
        ),
      },
    },
    echo,
  );
  app.get(
    '/list',
    {
      schema: {
        querystring: query({ limit: limit(500, 50), status: text(10, undefined, { enum: ['A', 'B'] }) }),
      },
    },
    echo,
  );
  await app.ready();
});

afterAll(() => app.close());

async function post(payload: unknown) {
  const answer = await app.inject({ method: 'POST', url: '/messages', payload: payload as object });
  return { status: answer.statusCode, body: answer.json<{ message?: string; body?: unknown }>() };
}

describe('admin request validation', () => {
  it.each([
    ['a missing field', {}, 'query: expected a non-empty string'],
    ['a number for a string (not coerced)', { query: 5 }, 'query: expected a non-empty string'],
    ['a whitespace-only string', { query: ' \n ' }, 'query: expected a non-empty string'],
    ['an over-long string', { query: 'x'.repeat(11) }, 'query: at most 10 characters'],
    ['a string for an integer (not coerced)', { query: 'q', share: '5' }, 'share: expected an integer 0-100'],
    ['a fraction', { query: 'q', share: 1.5 }, 'share: expected an integer 0-100'],
    ["a schema's own wording", { query: 'q', delay_ms: -1 }, 'delay_ms must be an integer in 0..60'],
    ['a bad array item', { query: 'q', titles: ['ok', ''] }, 'titles: bad'],
    ['an over-long array', { query: 'q', titles: ['a', 'b', 'c'] }, 'titles: expected an array of 0-2 items'],
    [
      'a nested problem',
      { query: 'q', hours: { start_hour: 24 } },
      'hours.start_hour: expected an integer 0-23',
    ],
    ['a nested missing field', { query: 'q', hours: {} }, 'hours.start_hour: expected an integer 0-23'],
    [
      'every problem, unknown fields first',
      { share: -1, loud: true },
      'unknown field "loud"; query: expected a non-empty string; share: expected an integer 0-100',
    ],
  ])('refuses %s', async (_what, payload, message) => {
    expect(await post(payload)).toEqual({ status: 400, body: expect.objectContaining({ message }) });
  });

  it('passes a valid body on trimmed, with its defaults', async () => {
    expect(await post({ query: '  hi ', titles: [' a '], hours: null })).toEqual({
      status: 200,
      body: { body: { query: 'hi', titles: ['a'], hours: null, share: 0 }, query: {} },
    });
  });

  it('reads an absent body as {}', async () => {
    const answer = await app.inject({ method: 'POST', url: '/messages' });
    expect(answer.json()).toMatchObject({ message: 'query: expected a non-empty string' });
  });

  it('turns query parameters into the integers their schemas ask for, and ignores unknown ones', async () => {
    const list = async (search: string) => {
      const answer = await app.inject({ method: 'GET', url: `/list${search}` });
      return { status: answer.statusCode, body: answer.json<{ message?: string; query?: unknown }>() };
    };
    expect((await list('?limit=7&other=1')).body.query).toEqual({ limit: 7, other: '1' });
    expect((await list('')).body.query).toEqual({ limit: 50 });
    for (const bad of ['0', '501', '1.5', 'many']) {
      expect((await list(`?limit=${bad}`)).body).toMatchObject({
        message: 'limit: expected an integer 1-500',
      });
    }
    expect((await list('?status=C')).body).toMatchObject({ message: 'status: expected one of A, B' });
  });
});
