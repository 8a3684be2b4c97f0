import type { FastifyInstance } from 'fastify';
import { ROSTER_NAME_PATTERN } from '../characters/names';
import { LorebookError, parseLorebook } from '../lore/schema';
import type { LoreScope } from '../lore/types';
import { parseLoreScope, type StoredLorebook } from '../store/lorebooks';
import type { Store } from '../store/mongo';
import { HttpError } from './http';
import { MESSAGE, object, responses, string } from './schemas';

/** A lorebook body may be bigger than other admin bodies (hundreds of entries). */
export const MAX_LOREBOOK_BYTES = 1024 * 1024;

const scopeParams = object(
  {
    scope: string(undefined, {
      pattern: `^(global|character:${ROSTER_NAME_PATTERN}|channel:[\\w-]{1,64})$`,
      [MESSAGE]: 'scope: expected global, character:<name> or channel:<channel id>',
    }),
  },
  ['scope'],
);

type ScopeRoute = { Params: { scope: string } };

/**
 * Lorebooks (world info): GET /lorebooks lists them, GET|PUT|DELETE /lorebooks/:scope read, replace
 * and remove one (scope: global, character:<name> or channel:<channel id>). A book applies from the
 * next reply on.
 */
export function loreRoutes(app: FastifyInstance, options: { store: Store }): void {
  const { lorebooks } = options.store;
  // The params schema admits scopes only; parsing lower-cases a character's name.
  const scopeOf = (text: string) => parseLoreScope(text) as LoreScope;

  app.get(
    '/lorebooks',
    {
      schema: { summary: 'every lorebook (without its entries)', response: responses({ 200: 'lorebooks' }) },
    },
    async () => ({ lorebooks: (await lorebooks.list()).map(summaryOf) }),
  );

  app.get<ScopeRoute>(
    '/lorebooks/:scope',
    {
      schema: {
        summary: 'one lorebook with its entries',
        params: scopeParams,
        response: responses({ 200: 'scope, book, updated_at, updated_by' }, [400, 404]),
      },
    },
    async (request) => {
      const stored = await lorebooks.get(scopeOf(request.params.scope));
      if (!stored) throw new HttpError(404, `no lorebook for ${request.params.scope}`);
      return stored;
    },
  );

  app.put<ScopeRoute & { Body: unknown }>(
    '/lorebooks/:scope',
    {
      bodyLimit: MAX_LOREBOOK_BYTES,
      schema: {
        summary: `create or replace a lorebook (a JSON body of at most ${MAX_LOREBOOK_BYTES} bytes)`,
        params: scopeParams,
        response: responses({ 200: 'the stored lorebook' }, [400, 413]),
      },
    },
    async (request) => {
      return lorebooks.put(scopeOf(request.params.scope), validLorebook(request.body), 'admin');
    },
  );

  app.delete<ScopeRoute>(
    '/lorebooks/:scope',
    {
      schema: {
        summary: 'remove a lorebook',
        params: scopeParams,
        response: responses({ 200: '{deleted: scope}' }, [400, 404]),
      },
    },
    async (request) => {
      const scope = scopeOf(request.params.scope);
      if (!(await lorebooks.delete(scope)))
        throw new HttpError(404, `no lorebook for ${request.params.scope}`);
      return { deleted: scope };
    },
  );
}

/** The body as a lorebook with its defaults filled, or a 400 naming its problems. */
function validLorebook(body: unknown) {
  try {
    return parseLorebook(body);
  } catch (err) {
    if (err instanceof LorebookError) throw new HttpError(400, err.message);
    throw err;
  }
}

function summaryOf(stored: StoredLorebook) {
  return {
    scope: stored.scope,
    name: stored.book.name,
    entries: stored.book.entries.length,
    updated_at: stored.updated_at,
    updated_by: stored.updated_by,
  };
}
