/** The start step: spawn the services that are not running yet, then wait until each answers. */
import type { StackContext } from './context';
import type { OwnedServices } from './owned';
import { freePorts } from './processes';
import { waitReady } from './readiness';
import { DEFAULT_TIMEOUTS_MS, describeAddress, type ServiceDefinition } from './services';
import { spawnService, type SpawnedService } from './spawn';
import type { LocalService, ServiceHandle } from './types';

/** Locates each service's program, gives each port 0 a free one and spawns them all (into `owned`). */
export async function spawnServices(
  defs: readonly ServiceDefinition[],
  context: StackContext,
  owned: OwnedServices,
): Promise<SpawnedService[]> {
  const binaries: string[] = [];
  // One after the other: the first to need scripts/install-tools.sh runs it, the others get its result.
  for (const def of defs) binaries.push(await def.locateBinary(context));
  const ports = await assignFreePorts(defs.map((def) => def.requestedPorts(context.options.ports ?? {})));
  return defs.map((def, i) => {
    const spawned = spawnService(
      def,
      binaries[i] as string,
      def.launch(ports[i] as number[], context),
      context,
    );
    owned.addStarted({ name: def.name, pid: spawned.pid, pidFile: spawned.pidFile });
    return spawned;
  });
}

/** The requested ports with every 0 replaced by a distinct free loopback port. */
async function assignFreePorts(wanted: readonly number[][]): Promise<number[][]> {
  const free = await freePorts(wanted.flat().filter((p) => p === 0).length);
  return wanted.map((ports) => ports.map((p) => (p === 0 ? (free.shift() as number) : p)));
}

/**
 * Waits until every spawned service is healthy, logging each as it gets there. When any fails, stops all
 * that `owned` holds and throws the first failure (the others are logged).
 */
export async function waitUntilReady(
  spawned: readonly SpawnedService[],
  { options, log }: StackContext,
  owned: OwnedServices,
): Promise<LocalService[]> {
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };
  const results = await Promise.allSettled(
    spawned.map(async (s) => {
      const readyMs = await waitReady(s, timeouts[s.def.name]);
      log(
        `${s.def.name}: ready at ${describeAddress(s.endpoint)} in ${(readyMs / 1000).toFixed(1)} s (pid ${s.pid})`,
      );
      return readyMs;
    }),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    for (const extra of failures.slice(1)) log(extra instanceof Error ? extra.message : String(extra));
    await owned.stop(false);
    throw failures[0];
  }
  return spawned.map((s, i) => {
    const r = results[i];
    const readyMs = r?.status === 'fulfilled' ? r.value : undefined;
    const handle: ServiceHandle = {
      name: s.def.name,
      mode: 'started',
      address: '',
      pid: s.pid,
      logFile: s.logFile,
      readyMs,
    };
    return { handle, endpoint: s.endpoint };
  });
}
