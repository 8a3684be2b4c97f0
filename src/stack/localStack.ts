/**
 * The local stack: a Temporal dev server (with Web UI), FerretDB (MongoDB wire protocol on SQLite), Chroma
 * and Ollama (with the bundled small model imported), run as plain child processes with their state under
 * one data folder. No Docker needed.
 *
 * A service is not started when its environment variable points elsewhere (TEMPORAL_ADDRESS, MONGODB_URI,
 * CHROMA_URL, OLLAMA_HOST); its address is then that value, unchanged. Services left running by an earlier
 * run with the same data folder (pid files under <dataDir>/pids) are reused when healthy; when that run is gone
 * and did not mean them to outlive it (`npm run stack -- up` does), they are adopted: they stop with this one.
 * Services that should stop with this process are also watched by a watchdog (./watchdog.ts) that stops them
 * if this process dies without stopping them (SIGKILL, OOM, a closed terminal).
 *
 * What differs between the services is one table (./services.ts); this file runs the steps over it: external
 * (here), reuse (./reuse.ts), start and wait until ready (./start.ts), stop (./owned.ts, ./stop.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

import { withoutPassword } from '../secrets';
import { stackContext, type StackContext } from './context';
import { BUNDLED_MODEL } from './ollama';
import { OwnedServices } from './owned';
import { reuseRunning } from './reuse';
import { SERVICE_DEFINITIONS, SERVICES, type ServiceDefinition } from './services';
import { spawnServices, waitUntilReady } from './start';
import type { LocalService, LocalStack, LocalStackOptions, ServiceHandle, ServiceName } from './types';

export { defaultDataDir } from './context';
export { ServiceStartError } from './readiness';
export { DEFAULT_PORTS, DEFAULT_TIMEOUTS_MS, SERVICE_ENV, SERVICE_TITLES } from './services';
export { localStackStatus } from './status';
export { stopLocalStack } from './stop';
export { SERVICE_NAMES } from './types';
export type {
  LocalStack,
  LocalStackOptions,
  ServiceHandle,
  ServiceName,
  ServiceStatus,
  StopOutcome,
  TemporalSearchAttributeType,
} from './types';

/** Starts (or reuses) the services not overridden by environment variables and waits until each is healthy. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const context = stackContext(options);
  const services: Partial<Record<ServiceName, ServiceHandle>> = {};
  const external = SERVICE_DEFINITIONS.flatMap((def) => externalService(def, context) ?? []);
  for (const handle of external) services[handle.name] = handle;
  const owned = new OwnedServices(context);
  const local = await runLocalServices(
    SERVICE_DEFINITIONS.filter((def) => !services[def.name]),
    context,
    owned,
  );
  for (const { handle, endpoint } of local) {
    const def = SERVICES[handle.name];
    handle.address = def.addressOf?.(endpoint, options) ?? endpoint.address;
    services[handle.name] = handle;
  }
  const all = services as Record<ServiceName, ServiceHandle>;
  try {
    await prepareLocalServices(all, context);
  } catch (err) {
    await owned.stop(false);
    throw err;
  }
  const temporalUi = local.find(({ handle }) => handle.name === 'temporal')?.endpoint.uiUrl;
  let stopping: Promise<void> | undefined;
  return {
    temporalAddress: all.temporal.address,
    temporalUiUrl: all.temporal.mode === 'external' ? context.env.TEMPORAL_UI_URL || undefined : temporalUi,
    mongodbUri: all.ferretdb.address,
    chromaUrl: all.chroma.address,
    ollamaHost: all.ollama.address,
    bundledModel: all.ollama.mode === 'external' ? undefined : BUNDLED_MODEL,
    dataDir: context.dataDir,
    logDir: context.logDir,
    services: all,
    stop: () => (stopping ??= owned.stop(true)),
  };
}

/** The handle of a service whose environment variable points elsewhere; undefined when it runs here. */
function externalService(def: ServiceDefinition, { env, log }: StackContext): ServiceHandle | undefined {
  const override = env[def.envVariable];
  if (!override) return undefined;
  log(`${def.name}: using ${def.envVariable}=${withoutPassword(override)} (not starting it)`);
  return { name: def.name, mode: 'external', address: override };
}

/** Reuses (or adopts) what is left running of `defs`, starts the rest and waits until all are healthy. */
async function runLocalServices(
  defs: readonly ServiceDefinition[],
  context: StackContext,
  owned: OwnedServices,
): Promise<LocalService[]> {
  if (defs.length === 0) return [];
  fs.mkdirSync(path.join(context.dataDir, 'pids'), { recursive: true });
  fs.mkdirSync(context.logDir, { recursive: true });
  const reused: LocalService[] = [];
  const toStart: ServiceDefinition[] = [];
  // One at a time: each may wait for the watchdog of a gone run.
  for (const def of defs) {
    const found = await reuseRunning(def, context, owned);
    if (found) reused.push(found);
    else toStart.push(def);
  }
  const spawned = toStart.length > 0 ? await spawnServices(toStart, context, owned) : [];
  owned.watch();
  return [...reused, ...(await waitUntilReady(spawned, context, owned))];
}

/** Runs the preparation each service run here needs once healthy (Ollama: the bundled model). */
async function prepareLocalServices(
  services: Record<ServiceName, ServiceHandle>,
  context: StackContext,
): Promise<void> {
  for (const def of SERVICE_DEFINITIONS) {
    const handle = services[def.name];
    if (handle.mode !== 'external') await def.prepare?.(handle.address, context);
  }
}
