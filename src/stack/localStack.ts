/**
 * The local stack: a Temporal dev server (with Web UI), FerretDB (MongoDB wire protocol on SQLite), Chroma
 * and Ollama (with the bundled small model imported), run as plain child processes with their state under
 * one data folder. No Docker needed.
 *
 * A service is not started when its environment variable points elsewhere (TEMPORAL_ADDRESS, MONGODB_URI,
 * CHROMA_URL, OLLAMA_HOST); its address is then that value, unchanged. Services left running by an earlier
 * run with the same data folder (pid files under <dataDir>/pids) are reused when healthy; when that run is gone
 * and did not mean them to outlive it (`npm run stack -- up` does), they are adopted: they stop with this one.
 * Services that should stop with this process are also watched by a watchdog (./watchdog.ts) that stops them
 * if this process dies without stopping them (SIGKILL, OOM, a closed terminal).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { withoutPassword } from '../secrets';
import { probeChroma, probeMongo, probeOllama, probeTemporal } from './health';
import { BUNDLED_MODEL, ensureBundledModel } from './ollama';
import {
  argValue,
  freePorts,
  isAlive,
  processArgs,
  processEnv,
  processStartTime,
  readPidFile,
  removePidFile,
  sleep,
  tailFile,
  terminate,
} from './processes';
import { readSearchAttributes, searchAttributesFile } from './searchAttributes';
import { chromaBin, findRepoRoot, resolveServerTools, type StackTools } from './tools';
import {
  removeStaleWatchdogPidFiles,
  startWatchdog,
  waitForWatchdog,
  watchdogOf,
  type WatchedProcess,
} from './watchdog';

export type ServiceName = 'temporal' | 'ferretdb' | 'chroma' | 'ollama';
export const SERVICE_NAMES: readonly ServiceName[] = ['temporal', 'ferretdb', 'chroma', 'ollama'];

/** The environment variable that, when set, points a service elsewhere (and skips starting it). */
export const SERVICE_ENV: Readonly<
  Record<ServiceName, 'TEMPORAL_ADDRESS' | 'MONGODB_URI' | 'CHROMA_URL' | 'OLLAMA_HOST'>
> = {
  temporal: 'TEMPORAL_ADDRESS',
  ferretdb: 'MONGODB_URI',
  chroma: 'CHROMA_URL',
  ollama: 'OLLAMA_HOST',
};

export const DEFAULT_PORTS = {
  temporal: 7233,
  temporalUi: 8233,
  mongo: 27017,
  chroma: 8000,
  ollama: 11434,
} as const;
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<ServiceName, number>> = {
  temporal: 60_000,
  ferretdb: 30_000,
  chroma: 30_000,
  ollama: 30_000,
};

/** Set in every service's environment: how a pid file's process is recognised as this data folder's. */
const STACK_DIR_VARIABLE = 'FG_LOCAL_STACK_DIR';
/** Set in every service's environment: `<pid>@<start time>` of the process that started it. */
const OWNER_VARIABLE = 'FG_LOCAL_STACK_OWNER';
/** Set to 1 in the environment of services started to outlive their starter (`npm run stack -- up`). */
const KEEP_VARIABLE = 'FG_LOCAL_STACK_KEEP';

/** How the services are named in messages. */
export const SERVICE_TITLES: Readonly<Record<ServiceName, string>> = {
  temporal: 'Temporal',
  ferretdb: 'FerretDB',
  chroma: 'Chroma',
  ollama: 'Ollama',
};

export type TemporalSearchAttributeType =
  'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface LocalStackOptions {
  /** State folder (Temporal SQLite file, FerretDB SQLite files, Chroma data, pid files). Default <repo>/.data/local. */
  dataDir?: string;
  /** Where <service>.log files go. Default <dataDir>/logs. */
  logDir?: string;
  /** Listen ports on 127.0.0.1; 0 picks a free port. Defaults: 7233 / 8233 / 27017 / 8000 / 11434. */
  ports?: { temporal?: number; temporalUi?: number; mongo?: number; chroma?: number; ollama?: number };
  /** Environment consulted for TEMPORAL_ADDRESS / MONGODB_URI / CHROMA_URL / OLLAMA_HOST / TEMPORAL_UI_URL,
   * OLLAMA_MODELS (where the local Ollama keeps models; default <dataDir>/ollama/models) and the variables
   * scripts/install-tools.sh prints (to skip running it). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Database name appended to the returned mongodbUri (default none: the app takes MONGODB_DB). */
  mongoDatabase?: string;
  /** Namespace to create and wait for (default 'default'). */
  temporalNamespace?: string;
  /** Custom search attributes registered at dev-server start (`--search-attribute KEY=TYPE`). Default: those of
   * temporal/search-attributes.txt (what temporal/setup.sh registers on other clusters). */
  temporalSearchAttributes?: Readonly<Record<string, TemporalSearchAttributeType>>;
  /** Keep Temporal's state in memory only (lost when it stops); for tests and benchmarks. */
  temporalInMemory?: boolean;
  /** Extra arguments for `temporal server start-dev` (e.g. `--dynamic-config-value`). */
  temporalExtraArgs?: readonly string[];
  /** Readiness timeouts; defaults 60 s for Temporal, 30 s for the others. */
  timeoutsMs?: Partial<Record<ServiceName, number>>;
  /**
   * Put services in their own process group and unref them: the terminal's Ctrl-C reaches only this
   * process (which can then drain its own work and call stop()), and they may outlive it (what `stack up`
   * does). Default false: they share our process group, so Ctrl-C stops them too.
   */
  detached?: boolean;
  /**
   * The services this call starts (or adopts) stop with this process: SIGTERM when it exits (normally or via
   * process.exit) without having called stop(), and a watchdog stops them if it dies any other way (SIGKILL,
   * OOM, a closed terminal). Healthy services an earlier, gone run of this data folder left behind are then
   * adopted (stop() stops them too) unless that run meant them to outlive it. Default: !detached.
   * `{ detached: true, stopOnExit: true }` suits a long-running app that stops the stack itself after a
   * graceful shutdown. False (with detached: `npm run stack -- up`): they outlive this process.
   */
  stopOnExit?: boolean;
  /** Repository root (holds scripts/install-tools.sh and node_modules). Default: found from this file. */
  repoRoot?: string;
  /** Progress messages. Default: one line on stderr each. */
  log?: (msg: string) => void;
}

export interface ServiceHandle {
  name: ServiceName;
  /**
   * started: by this call; adopted: left running by an earlier run of this data folder that is gone, stopped
   * by stop() (stopOnExit); reused: already running from this data folder, left alone by stop(); external:
   * env override.
   */
  mode: 'started' | 'adopted' | 'reused' | 'external';
  /** Address as returned in LocalStack (Temporal host:port, MongoDB URI, Chroma URL, Ollama URL). */
  address: string;
  pid?: number;
  logFile?: string;
  /** Milliseconds from spawn (or reuse check) until healthy. */
  readyMs?: number;
}

export interface LocalStack {
  /** host:port of the Temporal frontend (gRPC). */
  temporalAddress: string;
  /** Web UI, e.g. http://127.0.0.1:8233; for an external Temporal, TEMPORAL_UI_URL if set, else undefined. */
  temporalUiUrl: string | undefined;
  /** mongodb://127.0.0.1:27017[/<mongoDatabase>] (or MONGODB_URI unchanged). */
  mongodbUri: string;
  /** http://127.0.0.1:8000 (or CHROMA_URL unchanged). */
  chromaUrl: string;
  /** http://127.0.0.1:11434 (or OLLAMA_HOST unchanged). */
  ollamaHost: string;
  /** The bundled model's name when this stack runs Ollama (imported if it was missing); undefined for OLLAMA_HOST. */
  bundledModel: string | undefined;
  dataDir: string;
  logDir: string;
  services: Record<ServiceName, ServiceHandle>;
  /** Stops the services this call started or adopted (SIGTERM, up to 5 s, then SIGKILL), removes their pid
   * files and logs each. Reused and external services are left alone; use stopLocalStack() for those. */
  stop(): Promise<void>;
}

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

interface Endpoint {
  /** Temporal host:port, mongodb://host:port, http://host:port. */
  address: string;
  uiUrl?: string;
}

/** What /proc says of a running process. */
interface ProcessInfo {
  args: readonly string[];
  env: Readonly<Record<string, string>>;
}

interface ServiceDef {
  name: ServiceName;
  /** Basename of the program in the process argv (for "is this pid ours"). */
  marker: string;
  endpointOf(process: ProcessInfo): Endpoint | undefined;
  probe(endpoint: Endpoint): Promise<void>;
}

const defaultLog = (msg: string): void => {
  process.stderr.write(`[stack] ${msg}\n`);
};

const SERVICES: Record<ServiceName, ServiceDef> = {
  temporal: {
    name: 'temporal',
    marker: 'temporal',
    endpointOf({ args }) {
      const ip = argValue(args, '--ip') ?? 'localhost';
      const port = argValue(args, '--port');
      if (!port || !args.includes('start-dev')) return undefined;
      const uiPort = args.includes('--headless')
        ? undefined
        : (argValue(args, '--ui-port') ?? String(Number(port) + 1000));
      return {
        address: `${ip}:${port}`,
        uiUrl: uiPort ? `http://${argValue(args, '--ui-ip') ?? ip}:${uiPort}` : undefined,
      };
    },
    probe: (e) => probeTemporal(e.address, { uiUrl: e.uiUrl }),
  },
  ferretdb: {
    name: 'ferretdb',
    marker: 'ferretdb',
    endpointOf({ args }) {
      const listen = argValue(args, '--listen-addr');
      return listen ? { address: `mongodb://${listen}` } : undefined;
    },
    probe: (e) => probeMongo(`${e.address}/`),
  },
  chroma: {
    name: 'chroma',
    marker: 'chroma',
    endpointOf({ args }) {
      const port = argValue(args, '--port');
      return port ? { address: `http://${argValue(args, '--host') ?? 'localhost'}:${port}` } : undefined;
    },
    probe: (e) => probeChroma(e.address),
  },
  ollama: {
    name: 'ollama',
    marker: 'ollama',
    // `ollama serve` takes its address from the environment only.
    endpointOf({ env }) {
      return env.OLLAMA_HOST ? { address: `http://${env.OLLAMA_HOST}` } : undefined;
    },
    probe: async (e) => {
      await probeOllama(e.address);
    },
  },
};

/** <repo>/.data/local */
export function defaultDataDir(repoRoot: string = findRepoRoot()): string {
  return path.join(repoRoot, '.data', 'local');
}

const pidFileOf = (dataDir: string, service: ServiceName): string =>
  path.join(dataDir, 'pids', `${service}.pid`);

/** The pid in <dataDir>/pids/<service>.pid when that process is alive and is this stack's service. */
function ourRunningProcess(
  dataDir: string,
  service: ServiceName,
): ({ pid: number } & ProcessInfo) | 'stale' | undefined {
  const pid = readPidFile(pidFileOf(dataDir, service));
  if (pid === undefined) return fs.existsSync(pidFileOf(dataDir, service)) ? 'stale' : undefined;
  if (!isAlive(pid)) return 'stale';
  const args = processArgs(pid);
  const env = processEnv(pid);
  if (!args || !env) return 'stale';
  const ours =
    args.some((a) => path.basename(a) === SERVICES[service].marker) && env[STACK_DIR_VARIABLE] === dataDir;
  return ours ? { pid, args, env } : 'stale';
}

/** `<pid>@<start time>` of this process (start time left out where there is no /proc). */
function ownerMarker(): string {
  const started = processStartTime(process.pid);
  return started ? `${process.pid}@${started}` : String(process.pid);
}

/** The process that started a service (from its environment) and whether it still runs. */
function ownerOf(env: Readonly<Record<string, string>>): { pid: number; alive: boolean } | undefined {
  const match = /^(\d+)(?:@(\d+))?$/.exec(env[OWNER_VARIABLE] ?? '');
  if (!match) return undefined; // started before owners were recorded
  const pid = Number(match[1]);
  const alive = isAlive(pid) && (match[2] === undefined || processStartTime(pid) === match[2]);
  return { pid, alive };
}

/** Children to SIGTERM if this process exits without stop() (stopOnExit). */
const stopOnExitPids = new Map<number, string>();
let exitHookInstalled = false;
function stopOnExit(pid: number, pidFile: string): void {
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

interface Started {
  def: ServiceDef;
  endpoint: Endpoint;
  child: ChildProcess;
  pid: number;
  pidFile: string;
  logFile: string;
  logOffset: number;
  spawnedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
}

function spawnService(
  def: ServiceDef,
  command: { bin: string; args: string[]; env?: Record<string, string> },
  endpoint: Endpoint,
  dataDir: string,
  logDir: string,
  detached: boolean,
  killOnExit: boolean,
): Started {
  const { bin, args } = command;
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
        ...command.env,
        [STACK_DIR_VARIABLE]: dataDir,
        [OWNER_VARIABLE]: ownerMarker(),
        [KEEP_VARIABLE]: killOnExit ? '0' : '1',
      },
    });
  } finally {
    fs.closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    },
  );
  const pid = child.pid ?? -1;
  if (pid > 0) {
    fs.writeFileSync(pidFile, `${pid}\n`);
    if (detached) child.unref();
    if (killOnExit) stopOnExit(pid, pidFile);
  }
  return { def, endpoint, child, pid, pidFile, logFile, logOffset, spawnedAt: Date.now(), exited };
}

function describeAddress(e: Endpoint): string {
  return e.uiUrl ? `${e.address} (UI ${e.uiUrl})` : e.address;
}

async function waitReady(s: Started, timeoutMs: number): Promise<number> {
  const deadline = s.spawnedAt + timeoutMs;
  let lastError = 'no check completed';
  const fail = (problem: string, code?: number | null): ServiceStartError => {
    let hint = '';
    const tail = tailFile(s.logFile, 20, s.logOffset);
    if (/address already in use/i.test(tail)) {
      hint = ` (a port is already in use: pick other ports, stop what holds it, or set ${SERVICE_ENV[s.def.name]} to use an existing service)`;
    }
    return new ServiceStartError(
      s.def.name,
      describeAddress(s.endpoint),
      s.logFile,
      tail,
      code,
      problem + hint,
    );
  };
  const exitedDescription = async (): Promise<ServiceStartError> => {
    const r = await s.exited;
    if (r.error) return fail(`could not run it: ${r.error.message}`);
    await sleep(50); // let the last log writes land
    return fail(
      r.signal
        ? `it was killed by ${r.signal} before becoming ready`
        : `it exited with code ${r.code} before becoming ready`,
      r.code,
    );
  };
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
    if (outcome === 'exited') throw await exitedDescription();
    if (Date.now() >= deadline) {
      throw fail(`not ready after ${timeoutMs / 1000} s (last check: ${lastError})`);
    }
    if ((await Promise.race([sleep(200).then(() => 'tick' as const), exitedMarker])) === 'exited') {
      throw await exitedDescription();
    }
  }
}

async function probeFor(
  def: ServiceDef,
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
      await sleep(200);
    }
  }
}

/** The ports a service listens on (0: any free one): Temporal's frontend and Web UI, one for the others. */
function requestedPorts(name: ServiceName, ports: NonNullable<LocalStackOptions['ports']>): number[] {
  switch (name) {
    case 'temporal':
      return [
        ports.temporal ?? DEFAULT_PORTS.temporal,
        ports.temporalUi ?? (ports.temporal === 0 ? 0 : DEFAULT_PORTS.temporalUi),
      ];
    case 'ferretdb':
      return [ports.mongo ?? DEFAULT_PORTS.mongo];
    case 'chroma':
      return [ports.chroma ?? DEFAULT_PORTS.chroma];
    case 'ollama':
      return [ports.ollama ?? DEFAULT_PORTS.ollama];
  }
}

interface CommandContext {
  dataDir: string;
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  tools: Partial<StackTools>;
  options: LocalStackOptions;
}

/** How to run one service on its ports, and where it will answer. */
function serviceCommand(
  name: ServiceName,
  [port, uiPort]: number[],
  { dataDir, repoRoot, env, tools, options }: CommandContext,
): { command: { bin: string; args: string[]; env?: Record<string, string> }; endpoint: Endpoint } {
  const host = '127.0.0.1';
  const folder = (sub: string): string => {
    const dir = path.join(dataDir, sub);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  switch (name) {
    case 'temporal': {
      const args = [
        'server',
        'start-dev',
        '--ip',
        host,
        '--port',
        String(port),
        '--ui-port',
        String(uiPort),
        // In memory for throwaway stacks (tests, bench): no SQLite fsyncs on every workflow task.
        ...(options.temporalInMemory ? [] : ['--db-filename', path.join(dataDir, 'temporal.db')]),
        '--log-level',
        'warn',
        '--namespace',
        options.temporalNamespace ?? 'default',
        ...Object.entries(
          options.temporalSearchAttributes ?? readSearchAttributes(searchAttributesFile(repoRoot)),
        ).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]),
        ...(options.temporalExtraArgs ?? []),
      ];
      return {
        command: { bin: tools.temporalCli as string, args },
        endpoint: { address: `${host}:${port}`, uiUrl: `http://${host}:${uiPort}` },
      };
    }
    case 'ferretdb': {
      const args = [
        '--handler=sqlite',
        `--sqlite-url=file:${folder('ferretdb')}/`,
        `--listen-addr=${host}:${port}`,
        '--state-dir=-',
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ];
      return {
        command: { bin: tools.ferretdbBin as string, args },
        endpoint: { address: `mongodb://${host}:${port}` },
      };
    }
    case 'chroma': {
      const args = ['run', '--path', folder('chroma'), '--host', host, '--port', String(port)];
      return {
        command: { bin: tools.chromaBin as string, args },
        endpoint: { address: `http://${host}:${port}` },
      };
    }
    case 'ollama': {
      const ollamaEnv = {
        OLLAMA_HOST: `${host}:${port}`,
        OLLAMA_MODELS: env.OLLAMA_MODELS || folder(path.join('ollama', 'models')),
      };
      return {
        command: { bin: tools.ollama?.bin as string, args: ['serve'], env: ollamaEnv },
        endpoint: { address: `http://${host}:${port}` },
      };
    }
  }
}

/** Starts (or reuses) the services not overridden by environment variables and waits until each is healthy. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? defaultLog;
  const env = options.env ?? process.env;
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir(repoRoot));
  const logDir = path.resolve(options.logDir ?? path.join(dataDir, 'logs'));
  const detached = options.detached ?? false;
  const killOnExit = options.stopOnExit ?? !detached;
  const ports = options.ports ?? {};
  const mongoDb = options.mongoDatabase ?? '';
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };

  const handles: Partial<Record<ServiceName, ServiceHandle>> = {};
  const endpoints: Partial<Record<ServiceName, Endpoint>> = {};
  const toStart: ServiceName[] = [];

  for (const name of SERVICE_NAMES) {
    const override = env[SERVICE_ENV[name]];
    if (override) {
      handles[name] = { name, mode: 'external', address: override };
      log(`${name}: using ${SERVICE_ENV[name]}=${withoutPassword(override)} (not starting it)`);
    } else {
      toStart.push(name);
    }
  }

  const started: Started[] = [];
  const adopted: (WatchedProcess & { name: ServiceName })[] = [];
  let watchdog: ReturnType<typeof startWatchdog> | undefined;
  /** Stops what this call started or adopted; `announce` logs each one. */
  const stopOurs = async (announce: boolean): Promise<void> => {
    const ours = [...started.map((s) => ({ name: s.def.name, pid: s.pid, pidFile: s.pidFile })), ...adopted];
    await Promise.all(
      ours.map(async ({ name, pid, pidFile }) => {
        if (pid <= 0) return;
        const outcome = await terminate(pid, 5000);
        stopOnExitPids.delete(pid);
        removePidFile(pidFile, pid);
        if (announce && outcome !== 'not-running') {
          log(
            `${name}: ${outcome === 'killed' ? 'killed (it did not stop within 5 s)' : 'stopped'} (pid ${pid})`,
          );
        }
      }),
    );
    await watchdog?.release();
  };

  if (toStart.length > 0) {
    fs.mkdirSync(path.join(dataDir, 'pids'), { recursive: true });
    fs.mkdirSync(logDir, { recursive: true });

    // Reuse (or adopt) healthy services left running from this data folder; clear stale pid files.
    for (const name of [...toStart]) {
      let running = ourRunningProcess(dataDir, name);
      const pidFile = pidFileOf(dataDir, name);
      if (running !== undefined && running !== 'stale') {
        // Its run is gone and that run's watchdog is stopping it: wait for that instead of reusing it.
        const owner = ownerOf(running.env);
        const stopping = owner && !owner.alive ? watchdogOf(dataDir, owner.pid) : undefined;
        if (stopping !== undefined) {
          log(
            `${name}: the run that started it (pid ${owner?.pid}) is gone; waiting for its watchdog to stop it`,
          );
          await waitForWatchdog(stopping);
          running = ourRunningProcess(dataDir, name);
        }
      }
      if (running === undefined) continue;
      if (running === 'stale') {
        log(`${name}: removing stale pid file ${pidFile}`);
        removePidFile(pidFile);
        continue;
      }
      const def = SERVICES[name];
      const endpoint = def.endpointOf(running);
      const t0 = Date.now();
      if (endpoint && (await probeFor(def, endpoint, running.pid, 5000))) {
        const owner = ownerOf(running.env);
        const kept = running.env[KEEP_VARIABLE] === '1';
        const adopt = killOnExit && !kept && !owner?.alive;
        endpoints[name] = endpoint;
        handles[name] = {
          name,
          mode: adopt ? 'adopted' : 'reused',
          address: '',
          pid: running.pid,
          logFile: path.join(logDir, `${name}.log`),
          readyMs: Date.now() - t0,
        };
        toStart.splice(toStart.indexOf(name), 1);
        if (adopt) {
          adopted.push({ name, pid: running.pid, pidFile });
          stopOnExit(running.pid, pidFile);
          log(
            `adopted ${SERVICE_TITLES[name]} (pid ${running.pid}) at ${describeAddress(endpoint)}, left by an earlier run; it stops with this one`,
          );
        } else {
          const whose = kept
            ? 'started by `npm run stack -- up`; it keeps running after this one (`npm run stack -- down` stops it)'
            : owner?.alive
              ? `started by the run with pid ${owner.pid}, which stops it`
              : 'left by an earlier run; it keeps running after this one (`npm run stack -- down` stops it)';
          log(
            `${name}: reusing ${SERVICE_TITLES[name]} (pid ${running.pid}) at ${describeAddress(endpoint)}, ${whose}`,
          );
        }
      } else {
        log(`${name}: pid ${running.pid} is running but not healthy; restarting it`);
        await terminate(running.pid, 5000);
        removePidFile(pidFile, running.pid);
      }
    }
  }

  let tools: Partial<StackTools> = {};
  if (toStart.length > 0) {
    if (toStart.some((name) => name !== 'chroma')) tools = await resolveServerTools(repoRoot, log, env);
    if (toStart.includes('chroma')) tools.chromaBin = chromaBin(repoRoot);

    // Resolve ports: 0 means any free loopback port.
    const wanted = toStart.map((name) => requestedPorts(name, ports));
    const free = await freePorts(wanted.flat().filter((p) => p === 0).length);
    for (const [i, name] of toStart.entries()) {
      const servicePorts = (wanted[i] as number[]).map((p) => (p === 0 ? (free.shift() as number) : p));
      const { command, endpoint } = serviceCommand(name, servicePorts, {
        dataDir,
        repoRoot,
        env,
        tools,
        options,
      });
      endpoints[name] = endpoint;
      started.push(spawnService(SERVICES[name], command, endpoint, dataDir, logDir, detached, killOnExit));
    }
  }
  if (killOnExit && started.length + adopted.length > 0) {
    removeStaleWatchdogPidFiles(dataDir);
    watchdog = startWatchdog(dataDir, path.join(logDir, 'watchdog.log'), [
      ...started.filter((s) => s.pid > 0).map((s) => ({ pid: s.pid, pidFile: s.pidFile })),
      ...adopted,
    ]);
  }
  if (started.length > 0) {
    const results = await Promise.allSettled(
      started.map(async (s) => {
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
      await stopOurs(false);
      throw failures[0];
    }
    started.forEach((s, i) => {
      const r = results[i];
      handles[s.def.name] = {
        name: s.def.name,
        mode: 'started',
        address: '',
        pid: s.pid,
        logFile: s.logFile,
        readyMs: r?.status === 'fulfilled' ? r.value : undefined,
      };
    });
  }

  const addressOf = (name: ServiceName): string => {
    const h = handles[name] as ServiceHandle;
    if (h.mode === 'external') return h.address;
    const e = endpoints[name] as Endpoint;
    h.address = name === 'ferretdb' && mongoDb ? `${e.address}/${mongoDb}` : e.address;
    return h.address;
  };
  const temporalAddress = addressOf('temporal');
  const mongodbUri = addressOf('ferretdb');
  const chromaUrl = addressOf('chroma');
  const ollamaHost = addressOf('ollama');
  const temporalUiUrl =
    handles.temporal?.mode === 'external' ? env.TEMPORAL_UI_URL || undefined : endpoints.temporal?.uiUrl;
  let bundledModel: string | undefined;
  if (handles.ollama?.mode !== 'external') {
    try {
      const { ollama } = tools.ollama ? tools : await resolveServerTools(repoRoot, log, env);
      if (!ollama) throw new Error('scripts/install-tools.sh did not install Ollama');
      await ensureBundledModel({ host: ollamaHost, ...ollama, workDir: path.join(dataDir, 'ollama'), log });
      bundledModel = BUNDLED_MODEL;
    } catch (err) {
      await stopOurs(false);
      throw err;
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    temporalAddress,
    temporalUiUrl,
    mongodbUri,
    chromaUrl,
    ollamaHost,
    bundledModel,
    dataDir,
    logDir,
    services: handles as Record<ServiceName, ServiceHandle>,
    stop: () => (stopping ??= stopOurs(true)),
  };
}

export type StopOutcome = 'not-running' | 'terminated' | 'killed' | 'stale-pid-file';

/** Stops every service recorded in <dataDir>/pids (whoever started it) and removes the pid files. */
export async function stopLocalStack(
  options: Pick<LocalStackOptions, 'dataDir' | 'repoRoot' | 'log'> & { graceMs?: number } = {},
): Promise<Record<ServiceName, StopOutcome>> {
  const log = options.log ?? defaultLog;
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir(options.repoRoot ?? findRepoRoot()));
  const entries = await Promise.all(
    SERVICE_NAMES.map(async (name): Promise<[ServiceName, StopOutcome]> => {
      const pidFile = pidFileOf(dataDir, name);
      const running = ourRunningProcess(dataDir, name);
      if (running === undefined) return [name, 'not-running'];
      if (running === 'stale') {
        removePidFile(pidFile);
        return [name, 'stale-pid-file'];
      }
      const outcome = await terminate(running.pid, options.graceMs ?? 5000);
      removePidFile(pidFile, running.pid);
      log(
        `${name}: ${outcome === 'killed' ? 'killed (did not stop within the grace period)' : 'stopped'} (pid ${running.pid})`,
      );
      return [name, outcome];
    }),
  );
  removeStaleWatchdogPidFiles(dataDir);
  return Object.fromEntries(entries) as Record<ServiceName, StopOutcome>;
}

export interface ServiceStatus {
  name: ServiceName;
  state: 'external' | 'running' | 'unhealthy' | 'stopped';
  /** As startLocalStack would return it (MongoDB URI without a database name). */
  address?: string;
  uiUrl?: string;
  pid?: number;
  detail?: string;
}

/** What runs for the stack in `dataDir` (pid files + one health probe each); env overrides reported as external. */
export async function localStackStatus(
  options: Pick<LocalStackOptions, 'dataDir' | 'repoRoot' | 'env'> = {},
): Promise<ServiceStatus[]> {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir(options.repoRoot ?? findRepoRoot()));
  return Promise.all(
    SERVICE_NAMES.map(async (name): Promise<ServiceStatus> => {
      const override = env[SERVICE_ENV[name]];
      if (override)
        return { name, state: 'external', address: override, detail: `from ${SERVICE_ENV[name]}` };
      const running = ourRunningProcess(dataDir, name);
      if (running === undefined || running === 'stale') return { name, state: 'stopped' };
      const endpoint = SERVICES[name].endpointOf(running);
      if (!endpoint) return { name, state: 'unhealthy', pid: running.pid, detail: 'cannot read its address' };
      try {
        await SERVICES[name].probe(endpoint);
        return { name, state: 'running', pid: running.pid, address: endpoint.address, uiUrl: endpoint.uiUrl };
      } catch (err) {
        return {
          name,
          state: 'unhealthy',
          pid: running.pid,
          address: endpoint.address,
          uiUrl: endpoint.uiUrl,
          detail: err instanceof Error ? err.message : String(err),
        };
      }
    }),
  );
}
