/** What runs for a local stack (`npm run stack -- status`): its pid files and one health check each. */
import { resolveDataDir } from './context';
import { ourRunningProcess } from './ownership';
import { SERVICE_DEFINITIONS, type ServiceDefinition } from './services';
import type { LocalStackOptions, ServiceStatus } from './types';

/** What runs for the stack in `dataDir` (pid files + one health probe each); env overrides reported as external. */
export async function localStackStatus(
  options: Pick<LocalStackOptions, 'dataDir' | 'repoRoot' | 'env'> = {},
): Promise<ServiceStatus[]> {
  const env = options.env ?? process.env;
  const dataDir = resolveDataDir(options);
  return Promise.all(SERVICE_DEFINITIONS.map((def) => serviceStatus(def, dataDir, env)));
}

async function serviceStatus(
  def: ServiceDefinition,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<ServiceStatus> {
  const { name } = def;
  const override = env[def.envVariable];
  if (override) return { name, state: 'external', address: override, detail: `from ${def.envVariable}` };
  const running = ourRunningProcess(dataDir, def);
  if (running === undefined || running === 'stale') return { name, state: 'stopped' };
  const endpoint = def.endpointOf(running);
  if (!endpoint) return { name, state: 'unhealthy', pid: running.pid, detail: 'cannot read its address' };
  const where = { pid: running.pid, address: endpoint.address, uiUrl: endpoint.uiUrl };
  try {
    await def.probe(endpoint);
    return { name, state: 'running', ...where };
  } catch (err) {
    return { name, state: 'unhealthy', ...where, detail: err instanceof Error ? err.message : String(err) };
  }
}
