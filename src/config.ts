/**
 * Every setting comes from the environment, with a documented default, so a user's own
 * MongoDB, Temporal cluster, Chroma or Ollama is used unchanged. `loadConfig` validates
 * everything at start and reports all problems at once.
 *
 * The README's configuration table and .env.example list exactly these variables
 * (test/unit/config.test.ts keeps them in step).
 */

import type { PromptReviewPolicy } from './prompts/review';
import type { FollowUpPolicy, QcPolicy } from './workflows/types';

export interface Setting {
  name: string;
  default: string;
  doc: string;
}

/** The documented settings. Per-character Discord tokens (DISCORD_TOKEN_<NAME>) come on top. */
export const SETTINGS = [
  {
    name: 'MONGODB_URI',
    default: 'mongodb://127.0.0.1:27017',
    doc: 'MongoDB (or FerretDB) connection string',
  },
  { name: 'MONGODB_DB', default: 'family_guy_bots', doc: 'database name' },
  { name: 'TEMPORAL_ADDRESS', default: '127.0.0.1:7233', doc: 'Temporal frontend host:port' },
  { name: 'TEMPORAL_NAMESPACE', default: 'default', doc: 'Temporal namespace' },
  {
    name: 'TEMPORAL_TASK_QUEUE',
    default: 'family-guy-bots',
    doc: 'task queue of workflows and I/O activities; LLM activities use <queue>-llm',
  },
  { name: 'TEMPORAL_UI_URL', default: 'http://127.0.0.1:8233', doc: 'Temporal Web UI, printed at start' },
  { name: 'CHROMA_URL', default: 'http://127.0.0.1:8000', doc: 'Chroma server' },
  {
    name: 'CHROMA_COLLECTION',
    default: 'family_guy_wiki',
    doc: 'Chroma collection of the wiki knowledge base',
  },
  { name: 'OLLAMA_HOST', default: 'http://127.0.0.1:11434', doc: 'Ollama server' },
  {
    name: 'OLLAMA_MODEL',
    default: 'mistral',
    doc: 'model used for replies; unset with OLLAMA_HOST unset too: the bundled bundled-smollm2:135m',
  },
  { name: 'OLLAMA_TEMPERATURE', default: '0.7', doc: 'sampling temperature (0-2)' },
  { name: 'OLLAMA_NUM_CTX', default: '8192', doc: 'context window passed to Ollama on every call' },
  {
    name: 'OLLAMA_NUM_PREDICT',
    default: '200',
    doc: 'most tokens the model writes in a reply (QC_MAX_REPLY_CHARS 800 is about 200; a rambling model stops here)',
  },
  { name: 'OLLAMA_TIMEOUT_MS', default: '120000', doc: 'give up on one Ollama call after this long' },
  { name: 'LLM_CONCURRENCY', default: '1', doc: 'LLM activities run at once per worker (protects one GPU)' },
  { name: 'HISTORY_WINDOW', default: '10', doc: 'earlier turns of the channel given to the LLM' },
  {
    name: 'WIKI_BASE_URL',
    default: 'https://familyguy.fandom.com',
    doc: 'wiki crawled into the knowledge base',
  },
  { name: 'MAX_PAGES', default: '100', doc: 'pages a crawl indexes when the request does not say' },
  { name: 'CRAWL_DELAY_MS', default: '1000', doc: 'pause between wiki page requests' },
  {
    name: 'EMBEDDING_MODEL_DIR',
    default: '',
    doc: 'all-MiniLM-L6-v2 files (transformers.js layout); unset: the copy scripts/install-tools.sh cached',
  },
  { name: 'RAG_TOP_K', default: '3', doc: 'wiki snippets given to the LLM per reply' },
  { name: 'RAG_MIN_SCORE', default: '0.25', doc: 'cosine similarity a snippet needs to be used (0-1)' },
  { name: 'CHARACTERS', default: 'Peter,Brian,Stewie', doc: 'characters to run, by name' },
  { name: 'CHARACTERS_FILE', default: '', doc: 'optional JSON file adding or overriding characters' },
  {
    name: 'DISCORD_API_URL',
    default: 'https://discord.com/api',
    doc: 'Discord REST base (tests use a local fake)',
  },
  {
    name: 'ORGANIC_CHANNELS',
    default: '',
    doc: 'Discord channel ids (comma-separated) where characters start conversations after silence; empty: off',
  },
  { name: 'ORGANIC_SILENCE_MINUTES', default: '30', doc: 'silence in a channel before an organic start' },
  { name: 'ORGANIC_COOLDOWN_MINUTES', default: '10', doc: 'least time between organic starts in a channel' },
  { name: 'ORGANIC_CHECK_SECONDS', default: '300', doc: 'how often the silence check runs per channel' },
  {
    name: 'FOLLOW_UP_MAX_CHAIN',
    default: '4',
    doc: 'most bot lines after a human message, characters answering each other (0: never)',
  },
  { name: 'FOLLOW_UP_DELAY_SECONDS', default: '3', doc: 'pause before a character answers another' },
  { name: 'FOLLOW_UP_IDLE_MINUTES', default: '10', doc: 'no bot chatter once no human spoke for this long' },
  {
    name: 'QC_ENABLED',
    default: 'true',
    doc: 'score every reply with the LLM and rule checks before it is sent',
  },
  { name: 'QC_MIN_SCORE', default: '3', doc: 'QC score (1-5) a reply needs to be sent without regenerating' },
  { name: 'QC_MAX_REGENERATIONS', default: '3', doc: 'new candidates generated when QC rejects one' },
  { name: 'QC_MAX_REPLY_CHARS', default: '800', doc: 'QC rule: replies longer than this count as rambling' },
  {
    name: 'PROMPT_REVIEW_MINUTES',
    default: '60',
    doc: 'how often prompt metrics are refreshed and challengers judged (a Temporal Schedule)',
  },
  {
    name: 'PROMPT_OPTIMIZE_MIN_RATINGS',
    default: '10',
    doc: 'ratings a default prompt needs before the optimiser may replace it',
  },
  {
    name: 'PROMPT_OPTIMIZE_BELOW',
    default: '3',
    doc: 'average rating (1-5) under which the optimiser writes a challenger prompt',
  },
  {
    name: 'PROMPT_CHALLENGER_PERCENTAGE',
    default: '20',
    doc: 'share of sessions (0-100) a new challenger gets',
  },
  {
    name: 'PROMPT_PROMOTE_MIN_RATINGS',
    default: '20',
    doc: 'ratings a challenger needs before it can be promoted or retired',
  },
  {
    name: 'PROMPT_PROMOTE_MARGIN',
    default: '0.25',
    doc: 'how much higher (1-5 scale) a challenger must average than the default to be promoted',
  },
  { name: 'ADMIN_HOST', default: '127.0.0.1', doc: 'admin HTTP API bind address' },
  { name: 'ADMIN_PORT', default: '8080', doc: 'admin HTTP API port' },
  {
    name: 'ADMIN_TOKEN',
    default: '',
    doc: 'bearer token required by admin routes (unset: admin routes refuse)',
  },
  { name: 'LOG_LEVEL', default: 'info', doc: 'pino log level' },
  {
    name: 'LOG_FORMAT',
    default: 'auto',
    doc: 'pretty: one readable line per entry; json: pino JSON lines; auto: pretty on a terminal, JSON otherwise',
  },
  {
    name: 'LOCAL_STACK_DIR',
    default: '.data/local',
    doc: 'data folder of the local stack started by scripts/up',
  },
  {
    name: 'LOCAL_STACK_PORTS',
    default: '7233,8233,27017,8000,11434',
    doc: 'ports of the local stack: Temporal, its Web UI, FerretDB, Chroma, Ollama (0: any free port)',
  },
] as const satisfies readonly Setting[];

export type SettingName = (typeof SETTINGS)[number]['name'];

export interface Config {
  mongodbUri: string;
  mongodbDb: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiUrl: string;
  chromaUrl: string;
  chromaCollection: string;
  ollamaHost: string;
  ollamaModel: string;
  ollamaTemperature: number;
  ollamaNumCtx: number;
  ollamaNumPredict: number;
  ollamaTimeoutMs: number;
  llmConcurrency: number;
  historyWindow: number;
  wikiBaseUrl: string;
  maxPages: number;
  crawlDelayMs: number;
  embeddingModelDir: string | undefined;
  ragTopK: number;
  ragMinScore: number;
  characters: string[];
  charactersFile: string | undefined;
  discordApiUrl: string;
  /** Discord bot token per character name (lower-cased key), from DISCORD_TOKEN_<NAME>. */
  discordTokens: Record<string, string>;
  /** Channels with organic conversations (a silence-check schedule each). */
  organicChannels: string[];
  organicSilenceMinutes: number;
  organicCooldownMinutes: number;
  organicCheckSeconds: number;
  followUpMaxChain: number;
  followUpDelaySeconds: number;
  followUpIdleMinutes: number;
  qcEnabled: boolean;
  qcMinScore: number;
  qcMaxRegenerations: number;
  qcMaxReplyChars: number;
  promptReviewMinutes: number;
  promptOptimizeMinRatings: number;
  promptOptimizeBelow: number;
  promptChallengerPercentage: number;
  promptPromoteMinRatings: number;
  promptPromoteMargin: number;
  adminHost: string;
  adminPort: number;
  adminToken: string | undefined;
  localStackDir: string;
  localStackPorts: { temporal: number; temporalUi: number; mongo: number; chroma: number; ollama: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** src/logger.ts reads LOG_FORMAT itself (it exists before any configuration is loaded). */
const LOG_FORMATS = ['auto', 'pretty', 'json'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const raw = (name: SettingName): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? settingDefault(name) : value;
  };
  const number = (name: SettingName, min: number, max: number, integer = true): number => {
    const text = raw(name);
    const value = Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      problems.push(
        `${name}=${JSON.stringify(text)}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}`,
      );
    }
    return value;
  };
  const boolean = (name: SettingName): boolean => {
    const text = raw(name).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    problems.push(`${name}=${JSON.stringify(text)}: expected true or false`);
    return false;
  };
  const url = (name: SettingName, protocols: string[]): string => {
    const text = raw(name).replace(/\/+$/, '');
    try {
      const parsed = new URL(text);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
    } catch {
      problems.push(`${name}=${JSON.stringify(text)}: expected a ${protocols.join(' or ')} URL`);
    }
    return text;
  };
  const hostPort = (name: SettingName): string => {
    const text = raw(name);
    if (!/^[\w.-]+:\d{1,5}$/.test(text)) problems.push(`${name}=${JSON.stringify(text)}: expected host:port`);
    return text;
  };

  const mongodbUri = raw('MONGODB_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    problems.push('MONGODB_URI: expected a mongodb:// or mongodb+srv:// connection string');
  }
  const characters = raw('CHARACTERS')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (characters.length === 0) problems.push('CHARACTERS: name at least one character');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/.test(raw('CHROMA_COLLECTION'))) {
    problems.push(
      'CHROMA_COLLECTION: 3-512 characters of letters, digits, ., _ and -, starting and ending alphanumeric',
    );
  }
  // Checked here so a bad value is reported with the others; src/logger.ts reads it itself.
  const logLevel = raw('LOG_LEVEL');
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL=${logLevel}: expected one of ${LOG_LEVELS.join(', ')}`);
  const stackPorts = raw('LOCAL_STACK_PORTS')
    .split(',')
    .map((port) => Number(port.trim()));
  if (stackPorts.length !== 5 || stackPorts.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) {
    problems.push(
      `LOCAL_STACK_PORTS=${JSON.stringify(raw('LOCAL_STACK_PORTS'))}: expected five ports (0-65535), comma-separated`,
    );
  }
  const [temporalPort, temporalUiPort, mongoPort, chromaPort, ollamaPort] = stackPorts;
  const logFormat = raw('LOG_FORMAT').toLowerCase();
  if (!LOG_FORMATS.includes(logFormat))
    problems.push(`LOG_FORMAT=${logFormat}: expected one of ${LOG_FORMATS.join(', ')}`);

  const organicChannels = raw('ORGANIC_CHANNELS')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  for (const id of organicChannels.filter((id) => !/^\d{15,25}$/.test(id)))
    problems.push(`ORGANIC_CHANNELS: "${id}" is not a Discord channel id`);
  const discordTokens: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^DISCORD_TOKEN_([A-Z0-9_]+)$/i.exec(key);
    if (match?.[1] && value?.trim()) discordTokens[match[1].toLowerCase()] = value.trim();
  }

  const config: Config = {
    mongodbUri,
    mongodbDb: raw('MONGODB_DB'),
    temporalAddress: hostPort('TEMPORAL_ADDRESS'),
    temporalNamespace: raw('TEMPORAL_NAMESPACE'),
    taskQueue: raw('TEMPORAL_TASK_QUEUE'),
    temporalUiUrl: url('TEMPORAL_UI_URL', ['http:', 'https:']),
    chromaUrl: url('CHROMA_URL', ['http:', 'https:']),
    chromaCollection: raw('CHROMA_COLLECTION'),
    ollamaHost: url('OLLAMA_HOST', ['http:', 'https:']),
    ollamaModel: raw('OLLAMA_MODEL'),
    ollamaTemperature: number('OLLAMA_TEMPERATURE', 0, 2, false),
    ollamaNumCtx: number('OLLAMA_NUM_CTX', 512, 1_048_576),
    ollamaNumPredict: number('OLLAMA_NUM_PREDICT', 16, 131_072),
    ollamaTimeoutMs: number('OLLAMA_TIMEOUT_MS', 1000, 3_600_000),
    llmConcurrency: number('LLM_CONCURRENCY', 1, 64),
    historyWindow: number('HISTORY_WINDOW', 0, 200),
    wikiBaseUrl: url('WIKI_BASE_URL', ['http:', 'https:']),
    maxPages: number('MAX_PAGES', 1, 100_000),
    crawlDelayMs: number('CRAWL_DELAY_MS', 0, 60_000),
    embeddingModelDir: raw('EMBEDDING_MODEL_DIR') || undefined,
    ragTopK: number('RAG_TOP_K', 0, 20),
    ragMinScore: number('RAG_MIN_SCORE', 0, 1, false),
    characters,
    charactersFile: raw('CHARACTERS_FILE') || undefined,
    discordApiUrl: url('DISCORD_API_URL', ['http:', 'https:']),
    discordTokens,
    organicChannels,
    organicSilenceMinutes: number('ORGANIC_SILENCE_MINUTES', 1, 10_080),
    organicCooldownMinutes: number('ORGANIC_COOLDOWN_MINUTES', 1, 10_080),
    organicCheckSeconds: number('ORGANIC_CHECK_SECONDS', 10, 86_400),
    followUpMaxChain: number('FOLLOW_UP_MAX_CHAIN', 0, 20),
    followUpDelaySeconds: number('FOLLOW_UP_DELAY_SECONDS', 0, 600, false),
    followUpIdleMinutes: number('FOLLOW_UP_IDLE_MINUTES', 0, 1440, false),
    qcEnabled: boolean('QC_ENABLED'),
    qcMinScore: number('QC_MIN_SCORE', 1, 5, false),
    qcMaxRegenerations: number('QC_MAX_REGENERATIONS', 0, 10),
    qcMaxReplyChars: number('QC_MAX_REPLY_CHARS', 50, 20_000),
    promptReviewMinutes: number('PROMPT_REVIEW_MINUTES', 1, 10_080, false),
    promptOptimizeMinRatings: number('PROMPT_OPTIMIZE_MIN_RATINGS', 1, 100_000),
    promptOptimizeBelow: number('PROMPT_OPTIMIZE_BELOW', 1, 5, false),
    promptChallengerPercentage: number('PROMPT_CHALLENGER_PERCENTAGE', 1, 100),
    promptPromoteMinRatings: number('PROMPT_PROMOTE_MIN_RATINGS', 1, 100_000),
    promptPromoteMargin: number('PROMPT_PROMOTE_MARGIN', 0, 4, false),
    adminHost: raw('ADMIN_HOST'),
    adminPort: number('ADMIN_PORT', 0, 65535),
    adminToken: raw('ADMIN_TOKEN') || undefined,
    localStackDir: raw('LOCAL_STACK_DIR'),
    localStackPorts: {
      temporal: temporalPort as number,
      temporalUi: temporalUiPort as number,
      mongo: mongoPort as number,
      chroma: chromaPort as number,
      ollama: ollamaPort as number,
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function settingDefault(name: SettingName): string {
  return SETTINGS.find((setting) => setting.name === name)?.default ?? '';
}

/** What a crawl does when its request does not say. */
export function crawlDefaults(config: Config) {
  return {
    baseUrl: config.wikiBaseUrl,
    maxPages: config.maxPages,
    delayMs: config.crawlDelayMs,
    seedTitles: [],
  };
}

/** How characters answer each other (handed to workflows); undefined when they never do. */
export function followUpPolicy(
  config: Config,
  roster: Array<{ name: string; aliases: string[]; talkativeness?: number }>,
): FollowUpPolicy | undefined {
  if (config.followUpMaxChain === 0) return undefined;
  return {
    maxChain: config.followUpMaxChain,
    delayMs: Math.round(config.followUpDelaySeconds * 1000),
    idleMs: Math.round(config.followUpIdleMinutes * 60_000),
    characters: roster.map((c) => ({
      name: c.name,
      aliases: c.aliases,
      talkativeness: c.talkativeness ?? DEFAULT_TALKATIVENESS,
    })),
  };
}

/** How replies are checked before they are sent; null when QC is off. */
export function qcPolicy(config: Config): QcPolicy | null {
  if (!config.qcEnabled) return null;
  return {
    minScore: config.qcMinScore,
    maxRegenerations: config.qcMaxRegenerations,
    maxReplyChars: config.qcMaxReplyChars,
  };
}

/** When the prompt review optimises, promotes and retires prompt versions. */
export function promptReviewPolicy(config: Config): PromptReviewPolicy {
  return {
    optimizeMinRatings: config.promptOptimizeMinRatings,
    optimizeBelow: config.promptOptimizeBelow,
    challengerPercentage: config.promptChallengerPercentage,
    promoteMinRatings: config.promptPromoteMinRatings,
    promoteMargin: config.promptPromoteMargin,
  };
}

/** Chance that a character chimes in unprompted after another's line. */
const DEFAULT_TALKATIVENESS = 0.3;
