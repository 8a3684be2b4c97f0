/**
 * The local stack's parent-death mechanism. Node cannot ask Linux to signal its children when it dies
 * (prctl PR_SET_PDEATHSIG), so the process that starts the services also starts this tiny shell watchdog in
 * its own session and keeps the write end of a pipe to it. However that process ends (Ctrl-C, SIGKILL, the
 * OOM killer, a closed terminal), the kernel closes the pipe; the watchdog then reads end-of-file and stops
 * the services it was given (SIGTERM, up to 5 s, then SIGKILL) and removes their pid files. After a clean
 * stop the owner writes `release` first, and the watchdog just exits.
 *
 * Its pid is kept in <dataDir>/pids/watchdog-<owner pid>.pid, so a start that finds services of a dead owner
 * can wait for the owner's watchdog to finish instead of reusing what is being stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';

import { isAlive, processArgs, readPidFile, removePidFile, sleep } from './processes';

/** $0 of the watchdog's shell: how its process is recognised. */
const MARKER = 'fg-stack-watchdog';

/* Arguments: the watchdog's own pid file, the owner's pid, the data folder, then pid/pid-file pairs.
 * A process is only signalled while /proc (where there is one) still shows it with this data folder in its
 * FG_LOCAL_STACK_DIR: a service that already ended cannot take an unrelated process that got its pid. */
const SCRIPT = `
trap '' INT HUP
self=$1; owner=$2; dir=$3; shift 3
if IFS= read -r line && [ "$line" = release ]; then rm -f "$self"; exit 0; fi
ours() {
  if [ -r "/proc/$1/environ" ]; then { tr '\\000' '\\n' < "/proc/$1/environ"; } 2>/dev/null | grep -qxF "FG_LOCAL_STACK_DIR=$dir"
  else kill -0 "$1" 2>/dev/null; fi
}
alive() {
  ours "$1" || return 1
  [ -r "/proc/$1/stat" ] || return 0
  state=$(sed -e 's/^.*) //' -e 's/ .*$//' "/proc/$1/stat" 2>/dev/null)
  [ "$state" != Z ] && [ "$state" != X ]
}
stamp() { date '+%Y-%m-%d %H:%M:%S'; }
name() { n=\${1##*/}; echo "\${n%.pid}"; }
term() { while [ $# -gt 0 ]; do alive "$1" && kill -TERM "$1" 2>/dev/null && echo "$(stamp) SIGTERM to $(name "$2") (pid $1)"; shift 2; done; }
any_alive() { while [ $# -gt 0 ]; do alive "$1" && return 0; shift 2; done; return 1; }
echo "$(stamp) the process that started the local stack (pid $owner) is gone: stopping its services"
term "$@"
tries=0
while any_alive "$@" && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
while [ $# -gt 0 ]; do
  if alive "$1"; then kill -KILL "$1" 2>/dev/null && echo "$(stamp) SIGKILL to $(name "$2") (pid $1): it did not stop within 5 s"; fi
  [ "$(cat "$2" 2>/dev/null)" = "$1" ] && rm -f "$2"
  shift 2
done
rm -f "$self"
echo "$(stamp) done"
`;

export interface WatchedProcess {
  pid: number;
  pidFile: string;
}

export interface Watchdog {
  pid: number;
  /** Tells the watchdog its owner stopped the services itself; it exits without touching them. */
  release(): Promise<void>;
}

export const watchdogPidFile = (dataDir: string, ownerPid: number): string =>
  path.join(dataDir, 'pids', `watchdog-${ownerPid}.pid`);

/** Starts the watchdog of `processes` for this process; its messages are appended to `logFile`. */
export function startWatchdog(
  dataDir: string,
  logFile: string,
  processes: readonly WatchedProcess[],
): Watchdog {
  const pidFile = watchdogPidFile(dataDir, process.pid);
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      '/bin/sh',
      [
        '-c',
        SCRIPT,
        MARKER,
        pidFile,
        String(process.pid),
        dataDir,
        ...processes.flatMap((p) => [String(p.pid), p.pidFile]),
      ],
      // Its own session: the terminal's Ctrl-C and hang-up reach only its owner.
      { stdio: ['pipe', fd, fd], detached: true },
    );
  } finally {
    fs.closeSync(fd);
  }
  const pid = child.pid ?? -1;
  if (pid > 0) fs.writeFileSync(pidFile, `${pid}\n`);
  // Neither the child nor the pipe keeps this process alive; the pipe stays open until it exits.
  const pipe = child.stdin as Socket;
  child.unref();
  pipe.unref();
  pipe.on('error', () => undefined); // the watchdog gone already: nothing to tell it
  let released: Promise<void> | undefined;
  return {
    pid,
    release: () =>
      (released ??= new Promise<void>((resolve) => {
        pipe.end('release\n', () => resolve());
        setTimeout(resolve, 1000).unref();
      }).then(() => removePidFile(pidFile, pid))),
  };
}

/** The live watchdog that `ownerPid` started for `dataDir`, if any. */
export function watchdogOf(dataDir: string, ownerPid: number): number | undefined {
  const pid = readPidFile(watchdogPidFile(dataDir, ownerPid));
  if (pid === undefined || !isAlive(pid)) return undefined;
  return processArgs(pid)?.includes(MARKER) ? pid : undefined;
}

/** Removes the pid files of watchdogs that are gone (killed together with their owner). */
export function removeStaleWatchdogPidFiles(dataDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(dataDir, 'pids'));
  } catch {
    return;
  }
  for (const name of names) {
    const owner = /^watchdog-(\d+)\.pid$/.exec(name)?.[1];
    if (owner !== undefined && watchdogOf(dataDir, Number(owner)) === undefined) {
      fs.rmSync(path.join(dataDir, 'pids', name), { force: true });
    }
  }
}

/** Waits until the watchdog `pid` has exited (it gives services 5 s before SIGKILL); false on timeout. */
export async function waitForWatchdog(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}
