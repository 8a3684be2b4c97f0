/**
 * The reuse step: a service left running from this data folder (its pid file under <dataDir>/pids) is used
 * as it is when healthy. When the run that started it is gone and did not mean it to outlive that run, it is
 * adopted instead: it stops with this one. Stale pid files are removed and unhealthy leftovers stopped, so
 * the start step can take their place.
 */
import path from 'node:path';

import type { StackContext } from './context';
import { stopOnExit } from './exitHook';
import { STOP_GRACE_MS, type OwnedServices } from './owned';
import { isKept, ourRunningProcess, ownerOf, pidFileOf, type RunningService } from './ownership';
import { removePidFile, terminate } from './processes';
import { isHealthyWithin } from './readiness';
import { describeAddress, type ServiceDefinition } from './services';
import type { LocalService, ServiceHandle } from './types';
import { waitForWatchdog, watchdogOf } from './watchdog';

/** How long a leftover service gets to answer its health check before it is restarted. */
const HEALTH_CHECK_MS = 5000;

/** The service's healthy leftover, reused or adopted (into `owned`); undefined when it must be started. */
export async function reuseRunning(
  def: ServiceDefinition,
  context: StackContext,
  owned: OwnedServices,
): Promise<LocalService | undefined> {
  const { dataDir, logDir, log } = context;
  const running = await runningOnceItsWatchdogIsDone(def, context);
  if (running === undefined) return undefined;
  const pidFile = pidFileOf(dataDir, def.name);
  if (running === 'stale') {
    log(`${def.name}: removing stale pid file ${pidFile}`);
    removePidFile(pidFile);
    return undefined;
  }
  const endpoint = def.endpointOf(running);
  const checkedAt = Date.now();
  if (!endpoint || !(await isHealthyWithin(def, endpoint, running.pid, HEALTH_CHECK_MS))) {
    log(`${def.name}: pid ${running.pid} is running but not healthy; restarting it`);
    await terminate(running.pid, STOP_GRACE_MS);
    removePidFile(pidFile, running.pid);
    return undefined;
  }
  const owner = ownerOf(running.env);
  const kept = isKept(running.env);
  const adopt = context.killOnExit && !kept && !owner?.alive;
  const handle: ServiceHandle = {
    name: def.name,
    mode: adopt ? 'adopted' : 'reused',
    address: '',
    pid: running.pid,
    logFile: path.join(logDir, `${def.name}.log`),
    readyMs: Date.now() - checkedAt,
  };
  if (adopt) {
    owned.addAdopted({ name: def.name, pid: running.pid, pidFile });
    stopOnExit(running.pid, pidFile);
    log(
      `adopted ${def.title} (pid ${running.pid}) at ${describeAddress(endpoint)}, left by an earlier run; it stops with this one`,
    );
  } else {
    log(
      `${def.name}: reusing ${def.title} (pid ${running.pid}) at ${describeAddress(endpoint)}, ${whoseItIs(kept, owner)}`,
    );
  }
  return { handle, endpoint };
}

/**
 * The service's process from its pid file. When the run that started it is gone and that run's watchdog is
 * stopping it, waits for the watchdog instead of reusing what is being stopped.
 */
async function runningOnceItsWatchdogIsDone(
  def: ServiceDefinition,
  { dataDir, log }: StackContext,
): Promise<RunningService | 'stale' | undefined> {
  const running = ourRunningProcess(dataDir, def);
  if (running === undefined || running === 'stale') return running;
  const owner = ownerOf(running.env);
  const stopping = owner && !owner.alive ? watchdogOf(dataDir, owner.pid) : undefined;
  if (stopping === undefined) return running;
  log(
    `${def.name}: the run that started it (pid ${owner?.pid}) is gone; waiting for its watchdog to stop it`,
  );
  await waitForWatchdog(stopping);
  return ourRunningProcess(dataDir, def);
}

/** Who started a reused service and whether it keeps running after this run, as the reuse message says. */
function whoseItIs(kept: boolean, owner: ReturnType<typeof ownerOf>): string {
  if (kept) {
    return 'started by `npm run stack -- up`; it keeps running after this one (`npm run stack -- down` stops it)';
  }
  return owner?.alive
    ? `started by the run with pid ${owner.pid}, which stops it`
    : 'left by an earlier run; it keeps running after this one (`npm run stack -- down` stops it)';
}
