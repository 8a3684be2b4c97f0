/** Stopping a local stack by its pid files, whoever started it (`npm run stack -- down`, test teardown). */
import { defaultLog, resolveDataDir } from './context';
import { STOP_GRACE_MS } from './owned';
import { ourRunningProcess, pidFileOf } from './ownership';
import { removePidFile, terminate } from './processes';
import { SERVICE_DEFINITIONS, type ServiceDefinition } from './services';
import type { LocalStackOptions, ServiceName, StopOutcome } from './types';
import { removeStaleWatchdogPidFiles } from './watchdog';

export type StopOptions = Pick<LocalStackOptions, 'dataDir' | 'repoRoot' | 'log'> & { graceMs?: number };

/** Stops every service recorded in <dataDir>/pids (whoever started it) and removes the pid files. */
export async function stopLocalStack(options: StopOptions = {}): Promise<Record<ServiceName, StopOutcome>> {
  const dataDir = resolveDataDir(options);
  const entries = await Promise.all(
    SERVICE_DEFINITIONS.map(async (def) => [def.name, await stopService(def, dataDir, options)] as const),
  );
  removeStaleWatchdogPidFiles(dataDir);
  return Object.fromEntries(entries) as Record<ServiceName, StopOutcome>;
}

async function stopService(
  def: ServiceDefinition,
  dataDir: string,
  { log = defaultLog, graceMs = STOP_GRACE_MS }: StopOptions,
): Promise<StopOutcome> {
  const pidFile = pidFileOf(dataDir, def.name);
  const running = ourRunningProcess(dataDir, def);
  if (running === undefined) return 'not-running';
  if (running === 'stale') {
    removePidFile(pidFile);
    return 'stale-pid-file';
  }
  const outcome = await terminate(running.pid, graceMs);
  removePidFile(pidFile, running.pid);
  const how = outcome === 'killed' ? 'killed (did not stop within the grace period)' : 'stopped';
  log(`${def.name}: ${how} (pid ${running.pid})`);
  return outcome;
}
