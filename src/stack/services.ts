/**
 * The table of the local stack's services: everything that differs between Temporal, FerretDB, Chroma and
 * Ollama. The steps that reuse, start, wait for and stop them (reuse.ts, start.ts, readiness.ts, stop.ts)
 * are the same for all and read only this.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { StackContext } from './context';
import { probeChroma, probeMongo, probeOllama, probeTemporal } from './health';
import { ensureBundledModel } from './ollama';
import { argValue } from './processes';
import { readSearchAttributes, searchAttributesFile } from './searchAttributes';
import { chromaBin, resolveServerTools, type StackTools } from './tools';
import {
  SERVICE_NAMES,
  type Endpoint,
  type LocalStackOptions,
  type PortOptions,
  type ProcessInfo,
  type ServiceEnvVariable,
  type ServiceName,
} from './types';

/** Services listen on loopback only. */
const HOST = '127.0.0.1';

export const DEFAULT_PORTS = {
  temporal: 7233,
  temporalUi: 8233,
  mongo: 27017,
  chroma: 8000,
  ollama: 11434,
} as const;

/** How a service is run: its arguments, extra environment and where it will answer. */
export interface Launch {
  args: string[];
  env?: Record<string, string>;
  endpoint: Endpoint;
}

export interface ServiceDefinition {
  name: ServiceName;
  /** How it is named in messages. */
  title: string;
  /** Points it elsewhere when set (and skips starting it). */
  envVariable: ServiceEnvVariable;
  /** Basename of the program in the process argv (for "is this pid ours"). */
  marker: string;
  /** How long a start may take to become healthy, unless LocalStackOptions.timeoutsMs says otherwise. */
  readyTimeoutMs: number;
  /** The ports it listens on (0: any free one). */
  requestedPorts(ports: PortOptions): number[];
  /** The program, from the per-user tool cache (scripts/install-tools.sh) or node_modules. */
  locateBinary(context: StackContext): Promise<string>;
  /** How to run it on `ports` (requestedPorts with 0 replaced), its state under the data folder. */
  launch(ports: readonly number[], context: StackContext): Launch;
  /** Where an already running instance answers, read from its argv or environment. */
  endpointOf(process: ProcessInfo): Endpoint | undefined;
  /** One health check: resolves when it answers as it should. */
  probe(endpoint: Endpoint): Promise<void>;
  /** The address LocalStack returns for it; default the endpoint's. */
  addressOf?(endpoint: Endpoint, options: LocalStackOptions): string;
  /** Runs once it is healthy, whether started, reused or adopted here (not when external). */
  prepare?(address: string, context: StackContext): Promise<void>;
}

/** <dataDir>/<sub>, created if missing. */
function dataFolder({ dataDir }: StackContext, sub: string): string {
  const dir = path.join(dataDir, sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The programs scripts/install-tools.sh keeps in the per-user cache (it runs once per process at most). */
const installedTools = ({ repoRoot, log, env }: StackContext): ReturnType<typeof resolveServerTools> =>
  resolveServerTools(repoRoot, log, env);

async function installedOllama(context: StackContext): Promise<NonNullable<StackTools['ollama']>> {
  const { ollama } = await installedTools(context);
  if (!ollama) throw new Error('scripts/install-tools.sh did not install Ollama');
  return ollama;
}

const temporal: ServiceDefinition = {
  name: 'temporal',
  title: 'Temporal',
  envVariable: 'TEMPORAL_ADDRESS',
  marker: 'temporal',
  readyTimeoutMs: 60_000,
  // The frontend and the Web UI; a free frontend port makes the UI's free too.
  requestedPorts: (ports) => [
    ports.temporal ?? DEFAULT_PORTS.temporal,
    ports.temporalUi ?? (ports.temporal === 0 ? 0 : DEFAULT_PORTS.temporalUi),
  ],
  locateBinary: async (context) => (await installedTools(context)).temporalCli,
  launch([port, uiPort], { dataDir, repoRoot, options }) {
    const searchAttributes =
      options.temporalSearchAttributes ?? readSearchAttributes(searchAttributesFile(repoRoot));
    const args = [
      ...['server', 'start-dev', '--ip', HOST, '--port', String(port), '--ui-port', String(uiPort)],
      // In memory for throwaway stacks (tests, bench): no SQLite fsyncs on every workflow task.
      ...(options.temporalInMemory ? [] : ['--db-filename', path.join(dataDir, 'temporal.db')]),
      ...['--log-level', 'warn', '--namespace', options.temporalNamespace ?? 'default'],
      ...Object.entries(searchAttributes).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]),
      ...(options.temporalExtraArgs ?? []),
    ];
    return { args, endpoint: { address: `${HOST}:${port}`, uiUrl: `http://${HOST}:${uiPort}` } };
  },
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
};

/**
 * Connections each client of the local FerretDB opens at most. On SQLite one writer runs at a time
 * and the others back off in sleeps, so many concurrent operations thrash: 20 channels at once
 * made 5.6 replies/s (p95 8.0 s) with the driver's default pool of 100, 10.6 replies/s (p95
 * 2.8 s) with 4, where operations queue in the driver instead.
 */
const FERRETDB_POOL_SIZE = 4;

const ferretdb: ServiceDefinition = {
  name: 'ferretdb',
  title: 'FerretDB',
  envVariable: 'MONGODB_URI',
  marker: 'ferretdb',
  readyTimeoutMs: 30_000,
  requestedPorts: (ports) => [ports.mongo ?? DEFAULT_PORTS.mongo],
  locateBinary: async (context) => (await installedTools(context)).ferretdbBin,
  launch: ([port], context) => ({
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${dataFolder(context, 'ferretdb')}/`,
      `--listen-addr=${HOST}:${port}`,
      '--state-dir=-',
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    endpoint: { address: `mongodb://${HOST}:${port}` },
  }),
  endpointOf({ args }) {
    const listen = argValue(args, '--listen-addr');
    return listen ? { address: `mongodb://${listen}` } : undefined;
  },
  probe: (e) => probeMongo(`${e.address}/`),
  addressOf: (e, { mongoDatabase }) =>
    `${e.address}/${mongoDatabase ?? ''}?maxPoolSize=${FERRETDB_POOL_SIZE}`,
};

const chroma: ServiceDefinition = {
  name: 'chroma',
  title: 'Chroma',
  envVariable: 'CHROMA_URL',
  marker: 'chroma',
  readyTimeoutMs: 30_000,
  requestedPorts: (ports) => [ports.chroma ?? DEFAULT_PORTS.chroma],
  // The chromadb npm package's server, not an installed tool.
  locateBinary: ({ repoRoot }) => Promise.resolve(chromaBin(repoRoot)),
  launch: ([port], context) => ({
    args: ['run', '--path', dataFolder(context, 'chroma'), '--host', HOST, '--port', String(port)],
    endpoint: { address: `http://${HOST}:${port}` },
  }),
  endpointOf({ args }) {
    const port = argValue(args, '--port');
    return port ? { address: `http://${argValue(args, '--host') ?? 'localhost'}:${port}` } : undefined;
  },
  probe: (e) => probeChroma(e.address),
};

const ollama: ServiceDefinition = {
  name: 'ollama',
  title: 'Ollama',
  envVariable: 'OLLAMA_HOST',
  marker: 'ollama',
  readyTimeoutMs: 30_000,
  requestedPorts: (ports) => [ports.ollama ?? DEFAULT_PORTS.ollama],
  locateBinary: async (context) => (await installedOllama(context)).bin,
  // `ollama serve` takes its address and model folder from the environment only.
  launch: ([port], context) => ({
    args: ['serve'],
    env: {
      OLLAMA_HOST: `${HOST}:${port}`,
      OLLAMA_MODELS: context.env.OLLAMA_MODELS || dataFolder(context, path.join('ollama', 'models')),
    },
    endpoint: { address: `http://${HOST}:${port}` },
  }),
  endpointOf({ env }) {
    return env.OLLAMA_HOST ? { address: `http://${env.OLLAMA_HOST}` } : undefined;
  },
  probe: async (e) => {
    await probeOllama(e.address);
  },
  // The app's default model must be there: import the bundled one when missing.
  async prepare(host, context) {
    const tools = await installedOllama(context);
    const workDir = path.join(context.dataDir, 'ollama');
    await ensureBundledModel({ host, ...tools, workDir, log: context.log });
  },
};

export const SERVICES: Readonly<Record<ServiceName, ServiceDefinition>> = {
  temporal,
  ferretdb,
  chroma,
  ollama,
};

/** The table in SERVICE_NAMES order. */
export const SERVICE_DEFINITIONS: readonly ServiceDefinition[] = SERVICE_NAMES.map((name) => SERVICES[name]);

const byService = <T>(field: (def: ServiceDefinition) => T): Readonly<Record<ServiceName, T>> =>
  Object.fromEntries(SERVICE_DEFINITIONS.map((def) => [def.name, field(def)])) as Record<ServiceName, T>;

/** The environment variable that, when set, points a service elsewhere (and skips starting it). */
export const SERVICE_ENV = byService((def) => def.envVariable);
/** How the services are named in messages. */
export const SERVICE_TITLES = byService((def) => def.title);
export const DEFAULT_TIMEOUTS_MS = byService((def) => def.readyTimeoutMs);

/** An endpoint as messages name it: the address, and the Web UI's when there is one. */
export function describeAddress(e: Endpoint): string {
  return e.uiUrl ? `${e.address} (UI ${e.uiUrl})` : e.address;
}
