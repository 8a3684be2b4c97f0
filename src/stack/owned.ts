/**
 * The services one startLocalStack call started or adopted: the ones its stop() stops and, with stopOnExit,
 * the ones its watchdog (./watchdog.ts) stops should this process die without stopping them.
 */
import path from 'node:path';

import type { StackContext } from './context';
import { forgetOnExit } from './exitHook';
import { removePidFile, terminate } from './processes';
import type { ServiceName } from './types';
import { removeStaleWatchdogPidFiles, startWatchdog, type WatchedProcess, type Watchdog } from './watchdog';

/** How long a service gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5000;

export interface OwnedProcess extends WatchedProcess {
  name: ServiceName;
}

export class OwnedServices {
  /** Spawned by this call; a pid <= 0 could not be spawned. */
  private readonly started: OwnedProcess[] = [];
  private readonly adopted: OwnedProcess[] = [];
  private watchdog: Watchdog | undefined;

  constructor(private readonly context: StackContext) {}

  addStarted(process: OwnedProcess): void {
    this.started.push(process);
  }

  addAdopted(process: OwnedProcess): void {
    this.adopted.push(process);
  }

  /** With stopOnExit, hands what this call owns to a watchdog of its own. */
  watch(): void {
    const { killOnExit, dataDir, logDir } = this.context;
    if (!killOnExit || this.started.length + this.adopted.length === 0) return;
    removeStaleWatchdogPidFiles(dataDir);
    this.watchdog = startWatchdog(dataDir, path.join(logDir, 'watchdog.log'), [
      ...this.started.filter((s) => s.pid > 0).map(({ pid, pidFile }) => ({ pid, pidFile })),
      ...this.adopted,
    ]);
  }

  /** Stops what this call started or adopted and releases its watchdog; `announce` logs each one. */
  async stop(announce: boolean): Promise<void> {
    await Promise.all([...this.started, ...this.adopted].map((p) => this.stopOne(p, announce)));
    await this.watchdog?.release();
  }

  private async stopOne({ name, pid, pidFile }: OwnedProcess, announce: boolean): Promise<void> {
    if (pid <= 0) return;
    const outcome = await terminate(pid, STOP_GRACE_MS);
    forgetOnExit(pid);
    removePidFile(pidFile, pid);
    if (announce && outcome !== 'not-running') {
      const how = outcome === 'killed' ? 'killed (it did not stop within 5 s)' : 'stopped';
      this.context.log(`${name}: ${how} (pid ${pid})`);
    }
  }
}
