/**
 * The admin process as the browser tests (and the dashboard load bench) see it: the admin server over an e2e
 * harness, like `h.startAdmin(token)`, but with the real dependency checks of GET /health (Temporal, MongoDB,
 * Chroma, the harness's scripted Ollama) so the overview has every dependency to show.
 */
import { dependencyChecks } from '../../src/admin/healthChecks';
import { adminSettings, startAdminServer } from '../../src/admin/server';
import { logger } from '../../src/logger';
import type { Harness } from '../e2e/harness';

export type Dashboard = Awaited<ReturnType<typeof startAdminServer>>;

export async function startDashboard(h: Harness, token: string): Promise<Dashboard> {
  // The Ollama check asks for the configured model, which the scripted Ollama answers under any name.
  const model = `${h.config.ollamaModel}:latest`;
  if (!h.ollama.models.includes(model)) h.ollama.models.push(model);
  return startAdminServer({
    ...adminSettings(h.config, h.roster),
    host: '127.0.0.1',
    port: 0,
    token,
    store: h.store,
    temporal: h.temporal,
    checks: dependencyChecks(h.config),
    log: logger,
  });
}
