/** Runs one service as a child process: its output appended to <logDir>/<service>.log, its pid in a pid file. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import type { StackContext } from './context';
import { stopOnExit } from './exitHook';
import { ownershipEnvironment, pidFileOf } from './ownership';
import type { Launch, ServiceDefinition } from './services';
import type { Endpoint } from './types';

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when it could not be run at all. */
  error?: Error;
}

/** A service process this call spawned. */
export interface SpawnedService {
  def: ServiceDefinition;
  endpoint: Endpoint;
  /** -1 when it could not be spawned (`exited` then says why). */
  pid: number;
  pidFile: string;
  logFile: string;
  /** Where this start's output begins in the log file. */
  logOffset: number;
  spawnedAt: number;
  exited: Promise<ExitResult>;
}

export function spawnService(
  def: ServiceDefinition,
  bin: string,
  { args, env, endpoint }: Launch,
  { dataDir, logDir, detached, killOnExit }: StackContext,
): SpawnedService {
  const logFile = path.join(logDir, `${def.name}.log`);
  const pidFile = pidFileOf(dataDir, def.name);
  fs.appendFileSync(logFile, `\n=== ${new Date().toISOString()} starting: ${[bin, ...args].join(' ')}\n`);
  const logOffset = fs.statSync(logFile).size;
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, {
      stdio: ['ignore', fd, fd],
      detached,
      env: {
        ...process.env,
        TEMPORAL_VERSION_CHECK_DISABLED: '1',
        ...env,
        ...ownershipEnvironment(dataDir, !killOnExit),
      },
    });
  } finally {
    fs.closeSync(fd);
  }
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const pid = child.pid ?? -1;
  if (pid > 0) {
    fs.writeFileSync(pidFile, `${pid}\n`);
    if (detached) child.unref();
    if (killOnExit) stopOnExit(pid, pidFile);
  }
  return { def, endpoint, pid, pidFile, logFile, logOffset, spawnedAt: Date.now(), exited };
}
