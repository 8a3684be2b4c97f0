import { access } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { responses } from './schemas';

/** Where `npm run build:dashboard` writes the dashboard: dashboard/dist (from src/admin/ and dist/admin/ alike). */
export const DASHBOARD_DIR = join(__dirname, '..', '..', 'dashboard', 'dist');

const NOT_BUILT = 'The dashboard is not built: run `npm run build:dashboard`, then reload.\n';

/**
 * The dashboard's built files, open to all (the API behind them needs a session): `/` (index.html,
 * revalidated on every load), `/favicon.svg`, and `/assets/*` (Vite's content-hashed bundles,
 * cached for a year). The single-page app routes by URL hash, so no other path is its.
 * Until the dashboard is built GET / answers 503 saying how; the check is per request, so a
 * build made while the server runs is served without a restart.
 */
export async function dashboardFiles(app: FastifyInstance, dir: string): Promise<void> {
  // serve: false: only reply.sendFile (its path checks and caching headers), routes below.
  await app.register(fastifyStatic, { root: dir, serve: false, suppressWarning: true });
  const open = { security: [] };

  app.get(
    '/',
    {
      schema: {
        summary: 'the dashboard (index.html)',
        ...open,
        response: { 200: { description: 'HTML' }, 503: { description: 'not built yet (text)' } },
      },
    },
    async (_request, reply) => {
      const built = await access(join(dir, 'index.html')).then(
        () => true,
        () => false,
      );
      if (!built) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
      return reply.sendFile('index.html', { maxAge: 0 });
    },
  );
  app.get(
    '/favicon.svg',
    { schema: { summary: "the dashboard's icon", ...open, response: responses({}, [404]) } },
    (_request, reply) => reply.sendFile('favicon.svg'),
  );
  app.get<{ Params: { '*': string } }>(
    '/assets/*',
    { schema: { summary: "the dashboard's scripts and styles", ...open, response: responses({}, [404]) } },
    (request, reply) =>
      reply.sendFile(request.params['*'], join(dir, 'assets'), { immutable: true, maxAge: '365d' }),
  );
}
