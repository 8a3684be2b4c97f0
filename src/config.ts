/**
 * Every setting comes from the environment, with a documented default, so a user's own
 * MongoDB, Temporal cluster, Chroma or Ollama is used unchanged. `loadConfig` validates
 * everything at start and reports all problems at once.
 *
 * Each setting is declared once, in SETTINGS_BY_KEY: its `Config` key, variable, default, doc
 * and parser. `SETTINGS`, the `Config` type and `loadConfig` are derived from it, and the
 * README's configuration table and .env.example list exactly these variables
 * (test/unit/config.test.ts keeps them in step).
 */

import { DEFAULT_TALKATIVENESS } from './characters/roster';
import type { PromptReviewPolicy } from './prompts/review';
import { UNNAMED_MESSAGE_MODES, type UnnamedMessages } from './store/channelSettings';
import type { CoordinatorPolicy } from './workflows/contracts/coordinate';
import type { FollowUpPolicy } from './workflows/contracts/followUp';
import type { SessionMemoryPolicy } from './workflows/contracts/memory';
import type { QcPolicy } from './workflows/contracts/qualityControl';

export interface Setting {
  name: string;
  default: string;
  doc: string;
}

/** Turns a setting's text (trimmed; its default when unset or empty) into its value, or throws Invalid. */
type Parser<T> = (text: string, name: string) => T;

interface SettingSpec extends Setting {
  parse: Parser<unknown>;
  /** Validated with the others but not in `Config` (the logger reads LOG_LEVEL and LOG_FORMAT itself). */
  checkOnly?: true;
}

/** What is wrong with one setting, as whole ConfigError lines. */
class Invalid extends Error {
  readonly problems: string[];
  constructor(...problems: string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

const expected = (name: string, text: string, what: string) =>
  new Invalid(`${name}=${JSON.stringify(text)}: expected ${what}`);

const text: Parser<string> = (value) => value;
const optional: Parser<string | undefined> = (value) => value || undefined;

const numeric =
  (min: number, max: number, integer: boolean): Parser<number> =>
  (text, name) => {
    const value = Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw expected(name, text, `${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    }
    return value;
  };
const integer = (min: number, max: number) => numeric(min, max, true);
const decimal = (min: number, max: number) => numeric(min, max, false);

const boolean: Parser<boolean> = (text, name) => {
  const value = text.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw expected(name, value, 'true or false');
};

/** An http(s) URL without trailing slashes. */
const httpUrl: Parser<string> = (text, name) => {
  const value = text.replace(/\/+$/, '');
  if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
    throw expected(name, value, 'a http: or https: URL');
  }
  return value;
};

const hostPort: Parser<string> = (text, name) => {
  if (!/^[\w.-]+:\d{1,5}$/.test(text)) throw expected(name, text, 'host:port');
  return text;
};

/** Text matching `pattern`; otherwise the problem is `<NAME>: <why>`. */
const matching =
  (pattern: RegExp, why: string): Parser<string> =>
  (text, name) => {
    if (!pattern.test(text)) throw new Invalid(`${name}: ${why}`);
    return text;
  };

/** One of `values`; compared lower-cased when `caseless`. */
const oneOf =
  <T extends string>(values: readonly T[], caseless = false): Parser<T> =>
  (text, name) => {
    const value = caseless ? text.toLowerCase() : text;
    if (!(values as readonly string[]).includes(value))
      throw new Invalid(`${name}=${value}: expected one of ${values.join(', ')}`);
    return value as T;
  };

const commaSeparated = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const characterNames: Parser<string[]> = (text, name) => {
  const names = commaSeparated(text);
  if (names.length === 0) throw new Invalid(`${name}: name at least one character`);
  return names;
};

const channelIds: Parser<string[]> = (text, name) => {
  const ids = commaSeparated(text);
  const bad = ids.filter((id) => !/^\d{15,25}$/.test(id));
  if (bad.length > 0) throw new Invalid(...bad.map((id) => `${name}: "${id}" is not a Discord channel id`));
  return ids;
};

/** DISCORD_SHARDS: `all`, or shard ids and ranges ("0,1", "4-7"), each once. */
const shardIds: Parser<number[] | 'all'> = (text, name) => {
  if (text.toLowerCase() === 'all') return 'all';
  const ids: number[] = [];
  for (const item of commaSeparated(text)) {
    const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
    const [first, last] = [Number(range?.[1]), Number(range?.[2] ?? range?.[1])];
    if (!range || last < first || last >= MAX_SHARDS) {
      throw expected(name, text, 'all, or shard ids and ranges like 0,1 or 4-7');
    }
    for (let id = first; id <= last; id++) ids.push(id);
  }
  if (ids.length === 0) throw expected(name, text, 'all, or shard ids and ranges like 0,1 or 4-7');
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw new Invalid(`${name}: shard ${id} is named twice`);
    seen.add(id);
  }
  return ids;
};

/** DISCORD_SHARD_COUNT: `auto` (Discord's recommendation) or a number of shards. */
const shardCount: Parser<number | 'auto'> = (text, name) =>
  text.toLowerCase() === 'auto' ? 'auto' : integer(1, MAX_SHARDS)(text, name);

/** Far above what any bot needs (Discord asks for one shard per 1,000-2,500 guilds). */
const MAX_SHARDS = 16_384;

const stackPorts = (text: string, name: string) => {
  const ports = text.split(',').map((port) => Number(port.trim()));
  if (ports.length !== 5 || ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) {
    throw expected(name, text, 'five ports (0-65535), comma-separated');
  }
  const [temporal, temporalUi, mongo, chroma, ollama] = ports as [number, number, number, number, number];
  return { temporal, temporalUi, mongo, chroma, ollama };
};

/**
 * Every setting, by its `Config` key (checkOnly: validated here, not in `Config`). Per-character
 * Discord tokens (DISCORD_TOKEN_<NAME>) come on top.
 */
const SETTINGS_BY_KEY = {
  mongodbUri: {
    name: 'MONGODB_URI',
    default: 'mongodb://127.0.0.1:27017',
    doc: 'MongoDB (or FerretDB) connection string',
    parse: matching(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// connection string'),
  },
  mongodbDb: { name: 'MONGODB_DB', default: 'family_guy_bots', doc: 'database name', parse: text },
  temporalAddress: {
    name: 'TEMPORAL_ADDRESS',
    default: '127.0.0.1:7233',
    doc: 'Temporal frontend host:port',
    parse: hostPort,
  },
  temporalNamespace: {
    name: 'TEMPORAL_NAMESPACE',
    default: 'default',
    doc: 'Temporal namespace',
    parse: text,
  },
  taskQueue: {
    name: 'TEMPORAL_TASK_QUEUE',
    default: 'family-guy-bots',
    doc: 'task queue of workflows and I/O activities; LLM activities use <queue>-llm',
    parse: text,
  },
  temporalUiUrl: {
    name: 'TEMPORAL_UI_URL',
    default: 'http://127.0.0.1:8233',
    doc: 'Temporal Web UI, printed at start and linked from the dashboard',
    parse: httpUrl,
  },
  chromaUrl: { name: 'CHROMA_URL', default: 'http://127.0.0.1:8000', doc: 'Chroma server', parse: httpUrl },
  chromaCollection: {
    name: 'CHROMA_COLLECTION',
    default: 'family_guy_wiki',
    doc: 'Chroma collection of the wiki knowledge base',
    parse: matching(
      /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/,
      '3-512 characters of letters, digits, ., _ and -, starting and ending alphanumeric',
    ),
  },
  ollamaHost: {
    name: 'OLLAMA_HOST',
    default: 'http://127.0.0.1:11434',
    doc: 'Ollama server',
    parse: httpUrl,
  },
  ollamaModel: {
    name: 'OLLAMA_MODEL',
    default: 'mistral',
    doc: 'model used for replies; unset with OLLAMA_HOST unset too: the bundled bundled-smollm2:135m',
    parse: text,
  },
  ollamaTemperature: {
    name: 'OLLAMA_TEMPERATURE',
    default: '0.7',
    doc: 'sampling temperature (0-2)',
    parse: decimal(0, 2),
  },
  ollamaNumCtx: {
    name: 'OLLAMA_NUM_CTX',
    default: '8192',
    doc: 'context window passed to Ollama on every call',
    parse: integer(512, 1_048_576),
  },
  ollamaNumPredict: {
    name: 'OLLAMA_NUM_PREDICT',
    default: '200',
    doc: 'most tokens the model writes in a reply (QC_MAX_REPLY_CHARS 800 is about 200; a rambling model stops here)',
    parse: integer(16, 131_072),
  },
  ollamaTimeoutMs: {
    name: 'OLLAMA_TIMEOUT_MS',
    default: '120000',
    doc: 'give up on one Ollama call after this long',
    parse: integer(1000, 3_600_000),
  },
  llmConcurrency: {
    name: 'LLM_CONCURRENCY',
    default: '1',
    doc: 'LLM activities run at once per worker (protects one GPU)',
    parse: integer(1, 64),
  },
  historyWindow: {
    name: 'HISTORY_WINDOW',
    default: '10',
    doc: 'earlier turns of the channel given to the LLM',
    parse: integer(0, 200),
  },
  memorySummaryEvery: {
    name: 'MEMORY_SUMMARY_EVERY',
    default: '20',
    doc: "the LLM summarises a channel's turns older than the history window every this many turns; the summary goes with the window into every prompt (0: off)",
    parse: integer(0, 200),
  },
  memoryUserNotes: {
    name: 'MEMORY_USER_NOTES',
    default: 'false',
    doc: 'when summarising, also note short facts about each user (what to call them, running jokes), shown to the LLM only when answering that user, in any channel',
    parse: boolean,
  },
  wikiBaseUrl: {
    name: 'WIKI_BASE_URL',
    default: 'https://familyguy.fandom.com',
    doc: 'wiki crawled into the knowledge base',
    parse: httpUrl,
  },
  maxPages: {
    name: 'MAX_PAGES',
    default: '100',
    doc: 'pages a crawl indexes when the request does not say',
    parse: integer(1, 100_000),
  },
  crawlDelayMs: {
    name: 'CRAWL_DELAY_MS',
    default: '1000',
    doc: 'pause between wiki page requests',
    parse: integer(0, 60_000),
  },
  embeddingModelDir: {
    name: 'EMBEDDING_MODEL_DIR',
    default: '',
    doc: 'all-MiniLM-L6-v2 files (transformers.js layout); unset: the copy scripts/install-tools.sh cached',
    parse: optional,
  },
  ragTopK: {
    name: 'RAG_TOP_K',
    default: '3',
    doc: 'wiki snippets given to the LLM per reply',
    parse: integer(0, 20),
  },
  ragMinScore: {
    name: 'RAG_MIN_SCORE',
    default: '0.25',
    doc: 'cosine similarity a snippet needs to be used (0-1)',
    parse: decimal(0, 1),
  },
  characters: {
    name: 'CHARACTERS',
    default: 'Peter,Brian,Stewie',
    doc: 'characters seeded into the roster (MongoDB `characters`) at start, by name; the roster then changes through the admin API',
    parse: characterNames,
  },
  charactersFile: {
    name: 'CHARACTERS_FILE',
    default: '',
    doc: 'optional JSON file adding or overriding characters',
    parse: optional,
  },
  rosterRefreshMs: {
    name: 'ROSTER_REFRESH_MS',
    default: '2000',
    doc: 'how often the bots, worker and admin API re-read the roster, casts and lorebooks from MongoDB (ms)',
    parse: integer(200, 600_000),
  },
  publicBaseUrl: {
    name: 'PUBLIC_BASE_URL',
    default: '',
    doc: "the admin API's address as Discord can reach it (https://...); webhook posts take avatars from <it>/avatars/<name>; empty: no avatar override",
    parse: (text: string, name: string) => (text ? httpUrl(text, name).replace(/\/+$/, '') : undefined),
  },
  discordApiUrl: {
    name: 'DISCORD_API_URL',
    default: 'https://discord.com/api',
    doc: 'Discord REST base (tests use a local fake)',
    parse: httpUrl,
  },
  discordShards: {
    name: 'DISCORD_SHARDS',
    default: 'all',
    doc: 'gateway shards this bots process runs: all, or ids and ranges (0,1 or 4-7) of DISCORD_SHARD_COUNT, so several processes split them',
    parse: shardIds,
  },
  discordShardCount: {
    name: 'DISCORD_SHARD_COUNT',
    default: '1',
    doc: 'shards of every bot in all bots processes together; auto: the count Discord recommends (with DISCORD_SHARDS=all only)',
    parse: shardCount,
  },
  discordCommandsGuildId: {
    name: 'DISCORD_COMMANDS_GUILD_ID',
    default: '',
    doc: 'register the slash commands in this server only (they appear at once); empty: globally, in every server (Discord may take up to an hour to show changes)',
    parse: (value: string, name: string) => {
      if (!value) return undefined;
      if (!/^\d{15,25}$/.test(value)) throw new Invalid(`${name}: "${value}" is not a Discord server id`);
      return value;
    },
  },
  regenerateMaxPerReply: {
    name: 'REGENERATE_MAX_PER_REPLY',
    default: '3',
    doc: 'times the person a reply answered may regenerate it (🔄 or /regenerate); 0: never',
    parse: integer(0, 20),
  },
  organicChannels: {
    name: 'ORGANIC_CHANNELS',
    default: '',
    doc: 'Discord channel ids (comma-separated) where characters start conversations after silence; empty: off',
    parse: channelIds,
  },
  organicSilenceMinutes: {
    name: 'ORGANIC_SILENCE_MINUTES',
    default: '30',
    doc: 'silence in a channel before an organic start',
    parse: integer(1, 10_080),
  },
  organicCooldownMinutes: {
    name: 'ORGANIC_COOLDOWN_MINUTES',
    default: '10',
    doc: 'least time between organic starts in a channel',
    parse: integer(1, 10_080),
  },
  organicCheckSeconds: {
    name: 'ORGANIC_CHECK_SECONDS',
    default: '300',
    doc: 'how often the silence check runs per channel',
    parse: integer(10, 86_400),
  },
  followUpMaxChain: {
    name: 'FOLLOW_UP_MAX_CHAIN',
    default: '4',
    doc: 'most bot lines after a human message, characters answering each other (0: never)',
    parse: integer(0, 20),
  },
  followUpDelaySeconds: {
    name: 'FOLLOW_UP_DELAY_SECONDS',
    default: '3',
    doc: 'pause before a character answers another',
    parse: decimal(0, 600),
  },
  followUpIdleMinutes: {
    name: 'FOLLOW_UP_IDLE_MINUTES',
    default: '10',
    doc: 'no bot chatter once no human spoke for this long',
    parse: decimal(0, 1440),
  },
  unnamedMessages: {
    name: 'UNNAMED_MESSAGES',
    default: 'addressed-only',
    doc: "who answers a message naming no character, where a channel's settings do not say: addressed-only (nobody) or coordinator (in a conversation the characters are part of, the coordinator picks one)",
    parse: oneOf(UNNAMED_MESSAGE_MODES),
  },
  unnamedActiveMinutes: {
    name: 'UNNAMED_ACTIVE_MINUTES',
    default: '10',
    doc: 'coordinator: the characters are part of the conversation while a character spoke within this long before the message',
    parse: decimal(0.1, 1440),
  },
  unnamedJoinChance: {
    name: 'UNNAMED_JOIN_CHANCE',
    default: '0',
    doc: "coordinator: chance (0-1) that a character joins outside a conversation, right after a human turn; halves every UNNAMED_JOIN_DECAY_MINUTES of the channel's silence",
    parse: decimal(0, 1),
  },
  unnamedJoinDecayMinutes: {
    name: 'UNNAMED_JOIN_DECAY_MINUTES',
    default: '30',
    doc: "coordinator: the join chance halves every this long since the channel's last human turn",
    parse: decimal(0.1, 10_080),
  },
  unnamedMaxPerHour: {
    name: 'UNNAMED_MAX_PER_HOUR',
    default: '12',
    doc: 'coordinator: most unnamed messages answered per channel in an hour (0: none)',
    parse: integer(0, 1000),
  },
  unnamedMaxInARow: {
    name: 'UNNAMED_MAX_IN_A_ROW',
    default: '3',
    doc: 'coordinator: most unnamed messages answered in a row per channel until a human names a character (0: none)',
    parse: integer(0, 100),
  },
  qcEnabled: {
    name: 'QC_ENABLED',
    default: 'true',
    doc: 'score every reply with the LLM and rule checks before it is sent',
    parse: boolean,
  },
  qcMinScore: {
    name: 'QC_MIN_SCORE',
    default: '3',
    doc: 'QC score (1-5) a reply needs to be sent without regenerating',
    parse: decimal(1, 5),
  },
  qcMaxRegenerations: {
    name: 'QC_MAX_REGENERATIONS',
    default: '3',
    doc: 'new candidates generated when QC rejects one',
    parse: integer(0, 10),
  },
  qcMaxReplyChars: {
    name: 'QC_MAX_REPLY_CHARS',
    default: '800',
    doc: 'QC rule: replies longer than this count as rambling',
    parse: integer(50, 20_000),
  },
  liveReplies: {
    name: 'LIVE_REPLIES',
    default: 'false',
    doc: "post replies early and edit them as the model writes (only with QC off; a channel's live_replies overrides it)",
    parse: boolean,
  },
  liveEditIntervalMs: {
    name: 'LIVE_EDIT_INTERVAL_MS',
    default: '1000',
    doc: 'least time between two edits of a live reply (Discord rate-limits message edits)',
    parse: integer(250, 60_000),
  },
  promptReviewMinutes: {
    name: 'PROMPT_REVIEW_MINUTES',
    default: '60',
    doc: 'how often prompt metrics are refreshed and challengers judged (a Temporal Schedule)',
    parse: decimal(1, 10_080),
  },
  promptOptimizeMinRatings: {
    name: 'PROMPT_OPTIMIZE_MIN_RATINGS',
    default: '10',
    doc: 'ratings a default prompt needs before the optimiser may replace it',
    parse: integer(1, 100_000),
  },
  promptOptimizeBelow: {
    name: 'PROMPT_OPTIMIZE_BELOW',
    default: '3',
    doc: 'average rating (1-5) under which the optimiser writes a challenger prompt',
    parse: decimal(1, 5),
  },
  promptChallengerPercentage: {
    name: 'PROMPT_CHALLENGER_PERCENTAGE',
    default: '20',
    doc: 'share of sessions (0-100) a new challenger gets',
    parse: integer(1, 100),
  },
  promptPromoteMinRatings: {
    name: 'PROMPT_PROMOTE_MIN_RATINGS',
    default: '20',
    doc: 'ratings a challenger needs before it can be promoted or retired',
    parse: integer(1, 100_000),
  },
  promptPromoteMargin: {
    name: 'PROMPT_PROMOTE_MARGIN',
    default: '0.25',
    doc: 'how much higher (1-5 scale) a challenger must average than the default to be promoted',
    parse: decimal(0, 4),
  },
  adminHost: { name: 'ADMIN_HOST', default: '127.0.0.1', doc: 'admin HTTP API bind address', parse: text },
  adminPort: { name: 'ADMIN_PORT', default: '8080', doc: 'admin HTTP API port', parse: integer(0, 65535) },
  adminToken: {
    name: 'ADMIN_TOKEN',
    default: '',
    doc: 'bearer token required by admin routes (unset: admin routes refuse)',
    parse: optional,
  },
  adminCookieSecure: {
    name: 'ADMIN_COOKIE_SECURE',
    default: 'false',
    doc: "mark the dashboard's session cookie Secure (true when the admin API is served over HTTPS)",
    parse: boolean,
  },
  logLevel: {
    name: 'LOG_LEVEL',
    default: 'info',
    doc: 'pino log level',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    checkOnly: true,
  },
  logFormat: {
    name: 'LOG_FORMAT',
    default: 'auto',
    doc: 'pretty: one readable line per entry; json: pino JSON lines; auto: pretty on a terminal, JSON otherwise',
    parse: oneOf(['auto', 'pretty', 'json'], true),
    checkOnly: true,
  },
  localStackDir: {
    name: 'LOCAL_STACK_DIR',
    default: '.data/local',
    doc: 'data folder of the local stack started by scripts/up',
    parse: text,
  },
  localStackPorts: {
    name: 'LOCAL_STACK_PORTS',
    default: '7233,8233,27017,8000,11434',
    doc: 'ports of the local stack: Temporal, its Web UI, FerretDB, Chroma, Ollama (0: any free port)',
    parse: stackPorts,
  },
} as const satisfies Record<string, SettingSpec>;

/** The documented settings, in the order of the README table. */
export const SETTINGS = Object.values(SETTINGS_BY_KEY);

export type SettingName = (typeof SETTINGS)[number]['name'];

type ByKey = typeof SETTINGS_BY_KEY;
type CheckOnly = { [K in keyof ByKey]: ByKey[K] extends { checkOnly: true } ? K : never }[keyof ByKey];

/** Each setting's value, typed by what its parser returns. */
type Settings = { -readonly [K in Exclude<keyof ByKey, CheckOnly>]: ReturnType<ByKey[K]['parse']> };

export interface Config extends Settings {
  /** Discord bot token per character name (lower-cased key), from DISCORD_TOKEN_<NAME>. */
  discordTokens: Record<string, string>;
  /**
   * DISCORD_CAST_TOKEN: one bot that speaks for every character without a token of its own, through
   * channel webhooks (webhook mode). Undefined: those characters stay offline in Discord.
   */
  castToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS_BY_KEY as Record<string, SettingSpec>)) {
    try {
      const value = setting.parse(env[setting.name]?.trim() || setting.default, setting.name);
      if (!setting.checkOnly) values[key] = value;
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      problems.push(...err.problems);
    }
  }
  problems.push(...shardingProblems(values));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(values as unknown as Settings),
    discordTokens: discordTokens(env),
    castToken: env.DISCORD_CAST_TOKEN?.trim() || undefined,
  };
}

/**
 * DISCORD_SHARDS must fit DISCORD_SHARD_COUNT: every process that runs a part of the shards has to
 * agree on the total, so a list of ids needs a fixed count, and each id must be below it.
 */
function shardingProblems({ discordShards: shards, discordShardCount: count }: Partial<Settings>): string[] {
  if (shards === undefined || shards === 'all' || count === undefined) return []; // fine, or reported already
  if (count === 'auto') {
    return ['DISCORD_SHARDS: a list of shard ids needs a number in DISCORD_SHARD_COUNT, not auto'];
  }
  const outside = shards.filter((id) => id >= count);
  if (outside.length === 0) return [];
  const named = outside.length > 5 ? `${outside.slice(0, 5).join(', ')}, ...` : outside.join(', ');
  return [
    `DISCORD_SHARDS: ${named} out of range: with DISCORD_SHARD_COUNT=${count} the ids are 0-${count - 1}`,
  ];
}

/** DISCORD_TOKEN_<NAME> variables, keyed by the lower-cased name. */
function discordTokens(env: NodeJS.ProcessEnv): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^DISCORD_TOKEN_([A-Z0-9_]+)$/i.exec(key);
    if (match?.[1] && value?.trim()) tokens[match[1].toLowerCase()] = value.trim();
  }
  return tokens;
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
  /** A channel's own cap (channel_settings.follow_up_max_chain), else FOLLOW_UP_MAX_CHAIN. */
  maxChain: number = config.followUpMaxChain,
): FollowUpPolicy | undefined {
  if (maxChain === 0) return undefined;
  return {
    maxChain,
    delayMs: Math.round(config.followUpDelaySeconds * 1000),
    idleMs: Math.round(config.followUpIdleMinutes * 60_000),
    characters: roster.map((c) => ({
      name: c.name,
      aliases: c.aliases,
      talkativeness: c.talkativeness ?? DEFAULT_TALKATIVENESS,
    })),
  };
}

/**
 * How the coordinator answers unnamed messages in a channel (handed to CoordinateWorkflow); undefined
 * where they stay unanswered (the channel's unnamed_messages, else UNNAMED_MESSAGES, is addressed-only).
 * `characters`: who may answer there (the channel's cast, with a voice in Discord).
 */
export function coordinatorPolicy(
  config: Config,
  characters: Array<{ name: string; talkativeness?: number }>,
  channel: { unnamed_messages?: UnnamedMessages | null; join_chance?: number | null } | null,
): CoordinatorPolicy | undefined {
  if ((channel?.unnamed_messages ?? config.unnamedMessages) !== 'coordinator') return undefined;
  return {
    characters: characters.map((c) => ({
      name: c.name,
      talkativeness: c.talkativeness ?? DEFAULT_TALKATIVENESS,
    })),
    activeWindowMs: Math.round(config.unnamedActiveMinutes * 60_000),
    joinChance: channel?.join_chance ?? config.unnamedJoinChance,
    joinHalfLifeMs: Math.round(config.unnamedJoinDecayMinutes * 60_000),
    maxPerHour: config.unnamedMaxPerHour,
    maxInARow: config.unnamedMaxInARow,
  };
}

/** How sessions are summarised (handed to SessionMemoryWorkflow); null when they are not. */
export function sessionMemoryPolicy(config: Config): SessionMemoryPolicy | null {
  if (config.memorySummaryEvery === 0) return null;
  return {
    every: config.memorySummaryEvery,
    window: config.historyWindow,
    userNotes: config.memoryUserNotes,
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
