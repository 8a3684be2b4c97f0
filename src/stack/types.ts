/** The local stack's public types, and the internal ones its steps pass between them. */

/** The services, in the order they are started, reported and listed. */
export const SERVICE_NAMES = ['temporal', 'ferretdb', 'chroma', 'ollama'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The environment variables that, when set, point a service elsewhere (and skip starting it). */
export type ServiceEnvVariable = 'TEMPORAL_ADDRESS' | 'MONGODB_URI' | 'CHROMA_URL' | 'OLLAMA_HOST';

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

export type PortOptions = NonNullable<LocalStackOptions['ports']>;

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

export type StopOutcome = 'not-running' | 'terminated' | 'killed' | 'stale-pid-file';

export interface ServiceStatus {
  name: ServiceName;
  state: 'external' | 'running' | 'unhealthy' | 'stopped';
  /** As startLocalStack would return it (MongoDB URI without a database name). */
  address?: string;
  uiUrl?: string;
  pid?: number;
  detail?: string;
}

/** Where a service answers. */
export interface Endpoint {
  /** Temporal host:port, mongodb://host:port, http://host:port. */
  address: string;
  uiUrl?: string;
}

/** What /proc says of a running process. */
export interface ProcessInfo {
  args: readonly string[];
  env: Readonly<Record<string, string>>;
}

/** A service this stack runs itself (started, reused or adopted): how it is reported and where it answers. */
export interface LocalService {
  handle: ServiceHandle;
  endpoint: Endpoint;
}
