/** The last resort of stopOnExit: SIGTERM to the services still registered when this process exits. */
import { removePidFile } from './processes';

/** Pid -> pid file of the services to SIGTERM if this process exits without stopping them. */
const stopOnExitPids = new Map<number, string>();
let exitHookInstalled = false;

/** Registers a service to be sent SIGTERM (and its pid file removed) when this process exits. */
export function stopOnExit(pid: number, pidFile: string): void {
  stopOnExitPids.set(pid, pidFile);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [p, file] of stopOnExitPids) {
      try {
        process.kill(p, 'SIGTERM');
        removePidFile(file, p);
      } catch {
        /* gone */
      }
    }
  });
}

/** Unregisters a service that has been stopped already. */
export function forgetOnExit(pid: number): void {
  stopOnExitPids.delete(pid);
}
