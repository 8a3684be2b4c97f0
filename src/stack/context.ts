/** LocalStackOptions with their defaults filled in: what every step of a start, stop or status reads. */
import path from 'node:path';

import { findRepoRoot } from './tools';
import type { LocalStackOptions } from './types';

export interface StackContext {
  options: LocalStackOptions;
  log: (msg: string) => void;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  dataDir: string;
  logDir: string;
  detached: boolean;
  /** The services this call starts or adopts stop with this process (LocalStackOptions.stopOnExit). */
  killOnExit: boolean;
}

export const defaultLog = (msg: string): void => {
  process.stderr.write(`[stack] ${msg}\n`);
};

/** <repo>/.data/local */
export function defaultDataDir(repoRoot: string = findRepoRoot()): string {
  return path.join(repoRoot, '.data', 'local');
}

/** The absolute data folder that `options` name (default: the repository's). */
export function resolveDataDir(options: Pick<LocalStackOptions, 'dataDir' | 'repoRoot'>): string {
  return path.resolve(options.dataDir ?? defaultDataDir(options.repoRoot ?? findRepoRoot()));
}

export function stackContext(options: LocalStackOptions): StackContext {
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const dataDir = resolveDataDir({ ...options, repoRoot });
  const detached = options.detached ?? false;
  return {
    options,
    log: options.log ?? defaultLog,
    env: options.env ?? process.env,
    repoRoot,
    dataDir,
    logDir: path.resolve(options.logDir ?? path.join(dataDir, 'logs')),
    detached,
    killOnExit: options.stopOnExit ?? !detached,
  };
}
