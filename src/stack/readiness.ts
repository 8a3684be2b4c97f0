/** Waiting until services answer their health check, and the error that says why one never did. */
import { isAlive, sleep, tailFile } from './processes';
import { describeAddress, SERVICE_ENV, type ServiceDefinition } from './services';
import type { SpawnedService } from './spawn';
import type { Endpoint, ServiceName } from './types';

/** Between two health checks. */
const PROBE_INTERVAL_MS = 200;

/** A service failed to start or become ready; the message names it and ends with its log tail. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly address: string,
    readonly logFile: string,
    readonly logTail: string,
    readonly exitCode: number | null | undefined,
    problem: string,
  ) {
    super(
      `${service} failed to start on ${address}: ${problem}\n` +
        (logTail ? `last lines of ${logFile}:\n${logTail.replace(/^/gm, '  ')}` : `(nothing in ${logFile})`),
    );
    this.name = 'ServiceStartError';
  }
}

/** The error for a spawned service, with the tail of what it logged since it was spawned. */
function startFailure(s: SpawnedService, problem: string, code?: number | null): ServiceStartError {
  const tail = tailFile(s.logFile, 20, s.logOffset);
  const hint = /address already in use/i.test(tail)
    ? ` (a port is already in use: pick other ports, stop what holds it, or set ${SERVICE_ENV[s.def.name]} to use an existing service)`
    : '';
  return new ServiceStartError(
    s.def.name,
    describeAddress(s.endpoint),
    s.logFile,
    tail,
    code,
    problem + hint,
  );
}

/** The error for a spawned service that exited (or could not be run) before it became ready. */
async function exitFailure(s: SpawnedService): Promise<ServiceStartError> {
  const r = await s.exited;
  if (r.error) return startFailure(s, `could not run it: ${r.error.message}`);
  await sleep(50); // let the last log writes land
  return startFailure(
    s,
    r.signal
      ? `it was killed by ${r.signal} before becoming ready`
      : `it exited with code ${r.code} before becoming ready`,
    r.code,
  );
}

/**
 * Probes a spawned service until it is healthy; resolves to the milliseconds since its spawn. Throws a
 * ServiceStartError as soon as it exits, or when `timeoutMs` after its spawn it still is not healthy.
 */
export async function waitReady(s: SpawnedService, timeoutMs: number): Promise<number> {
  const deadline = s.spawnedAt + timeoutMs;
  let lastError = 'no check completed';
  const exitedMarker = s.exited.then(() => 'exited' as const);
  for (;;) {
    const probe = s.def.probe(s.endpoint).then(
      () => 'ready' as const,
      (err: unknown) => {
        lastError = err instanceof Error ? err.message : String(err);
        return 'not-ready' as const;
      },
    );
    const outcome = await Promise.race([probe, exitedMarker]);
    if (outcome === 'ready') return Date.now() - s.spawnedAt;
    if (outcome === 'exited') throw await exitFailure(s);
    if (Date.now() >= deadline) {
      throw startFailure(s, `not ready after ${timeoutMs / 1000} s (last check: ${lastError})`);
    }
    const tick = sleep(PROBE_INTERVAL_MS).then(() => 'tick' as const);
    if ((await Promise.race([tick, exitedMarker])) === 'exited') throw await exitFailure(s);
  }
}

/** Whether a running service (not ours to watch exit) answers its health check within `timeoutMs`. */
export async function isHealthyWithin(
  def: ServiceDefinition,
  endpoint: Endpoint,
  pid: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await def.probe(endpoint);
      return true;
    } catch {
      if (Date.now() >= deadline || !isAlive(pid)) return false;
      await sleep(PROBE_INTERVAL_MS);
    }
  }
}
