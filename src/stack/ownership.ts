/**
 * Whose a service process is. Every service gets three variables in its environment: its data folder (so a
 * pid file's process is recognised as this stack's even after the pid was reused), the process that
 * started it, and whether it was meant to outlive that process. A later start reads them back from /proc
 * to decide between reusing, adopting and restarting it.
 */
import fs from 'node:fs';
import path from 'node:path';

import { isAlive, processArgs, processEnv, processStartTime, readPidFile } from './processes';
import type { ProcessInfo, ServiceName } from './types';

/** Set in every service's environment: how a pid file's process is recognised as this data folder's. */
const STACK_DIR_VARIABLE = 'FG_LOCAL_STACK_DIR';
/** Set in every service's environment: `<pid>@<start time>` of the process that started it. */
const OWNER_VARIABLE = 'FG_LOCAL_STACK_OWNER';
/** Set to 1 in the environment of services started to outlive their starter (`npm run stack -- up`). */
const KEEP_VARIABLE = 'FG_LOCAL_STACK_KEEP';

/** A live process of this stack's service, as its pid file names it. */
export type RunningService = { pid: number } & ProcessInfo;

export const pidFileOf = (dataDir: string, service: ServiceName): string =>
  path.join(dataDir, 'pids', `${service}.pid`);

/** The ownership variables for a service this process starts in `dataDir`; `keep`: it outlives this process. */
export function ownershipEnvironment(dataDir: string, keep: boolean): Record<string, string> {
  return {
    [STACK_DIR_VARIABLE]: dataDir,
    [OWNER_VARIABLE]: ownerMarker(),
    [KEEP_VARIABLE]: keep ? '1' : '0',
  };
}

/**
 * The process in <dataDir>/pids/<service>.pid when it is alive and is this stack's service (its argv names
 * `marker`); 'stale' when the pid file names anything else.
 */
export function ourRunningProcess(
  dataDir: string,
  { name, marker }: { name: ServiceName; marker: string },
): RunningService | 'stale' | undefined {
  const pidFile = pidFileOf(dataDir, name);
  const pid = readPidFile(pidFile);
  if (pid === undefined) return fs.existsSync(pidFile) ? 'stale' : undefined;
  if (!isAlive(pid)) return 'stale';
  const args = processArgs(pid);
  const env = processEnv(pid);
  if (!args || !env) return 'stale';
  const ours = args.some((a) => path.basename(a) === marker) && env[STACK_DIR_VARIABLE] === dataDir;
  return ours ? { pid, args, env } : 'stale';
}

/** `<pid>@<start time>` of this process (start time left out where there is no /proc). */
function ownerMarker(): string {
  const started = processStartTime(process.pid);
  return started ? `${process.pid}@${started}` : String(process.pid);
}

/** The process that started a service (from its environment) and whether it still runs. */
export function ownerOf(env: Readonly<Record<string, string>>): { pid: number; alive: boolean } | undefined {
  const match = /^(\d+)(?:@(\d+))?$/.exec(env[OWNER_VARIABLE] ?? '');
  if (!match) return undefined; // started before owners were recorded
  const pid = Number(match[1]);
  const alive = isAlive(pid) && (match[2] === undefined || processStartTime(pid) === match[2]);
  return { pid, alive };
}

/** Whether the run that started the service meant it to outlive that run (`npm run stack -- up`). */
export function isKept(env: Readonly<Record<string, string>>): boolean {
  return env[KEEP_VARIABLE] === '1';
}
