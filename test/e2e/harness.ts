/**
 * The whole reply path on real services: the test stack's Temporal, FerretDB and Chroma,
 * a real worker, the real discord.js bots logged in to the fake Discord, and the real
 * `ollama` client talking to the scripted Ollama. Used by the end-to-end tests and the
 * benchmark.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startBots } from '../../src/bots';
import type { CharacterBot } from '../../src/bots/characterBot';
import { openStoreRoster, type LiveRoster } from '../../src/characters/liveRoster';
import { loadRoster } from '../../src/characters/roster';
import { adminSettings, startAdminServer } from '../../src/admin/server';
import { loadConfig, type Config } from '../../src/config';
import { logger } from '../../src/logger';
import { openStore, type Store } from '../../src/store/mongo';
import type { WikiKnowledge } from '../../src/knowledge/wikiKnowledge';
import { activityDepsFromConfig, createWorkers, installTemporalRuntime } from '../../src/worker';
import { startFakeDiscord, type BotUser, type FakeDiscord } from '../fakes/fakeDiscord';
import { workflowBundle } from '../setup/workflowBundle';
import { startScriptedOllama, type ScriptedOllama } from '../fakes/scriptedOllama';

export const CHARACTERS = ['Peter', 'Brian', 'Stewie'] as const;
export type CharacterName = (typeof CHARACTERS)[number];

export interface Harness {
  config: Config;
  /** The roster the worker and bots read (re-read every ROSTER_REFRESH_MS; `refresh()` reads it now). */
  roster: LiveRoster;
  /** The worker's knowledge base (same collection and embedder), for retrieval assertions. */
  knowledge: WikiKnowledge;
  discord: FakeDiscord;
  ollama: ScriptedOllama;
  store: Store;
  temporal: Client;
  /** Each character's own bot (registered with the fake even when `voices` is `cast`, then never logged in). */
  botUsers: Record<CharacterName, BotUser>;
  /** The cast bot of webhook mode (`voices` cast or both). */
  castBot: BotUser | undefined;
  /** The bots of `laterBots`, by name. */
  laterBots: Record<string, BotUser>;
  channelId: string;
  /** Environment a separate worker process needs to join this harness. */
  workerEnv: NodeJS.ProcessEnv;
  /** The admin HTTP API over this harness (token-protected, health checks left out). */
  startAdmin(token: string): ReturnType<typeof startAdminServer>;
  /** Starts the in-process worker (started by default). */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(
  /** `env` overrides the worker's and bots' settings (follow-ups and QC are off unless it turns them on). */
  options: {
    worker?: boolean;
    bots?: boolean;
    llmConcurrency?: number;
    env?: NodeJS.ProcessEnv;
    /**
     * Who speaks in Discord: each character's own bot (default), the one cast bot of webhook mode for
     * everyone (`cast`), or both (`both`: the three with bots, characters added later through the cast).
     */
    voices?: 'bots' | 'cast' | 'both';
    /** More characters with a DISCORD_TOKEN_<NAME> of their own, not in the roster at start (imported later). */
    laterBots?: string[];
  } = {},
): Promise<Harness> {
  installTemporalRuntime();
  const discord = await startFakeDiscord();
  const ollama = await startScriptedOllama();
  const botUsers = Object.fromEntries(
    CHARACTERS.map((name) => [
      name,
      discord.addBot({ token: `token-${name.toLowerCase()}-${randomUUID()}`, username: name }),
    ]),
  ) as Record<CharacterName, BotUser>;
  const voices = options.voices ?? 'bots';
  const castBot =
    voices === 'bots' ? undefined : discord.addBot({ token: `token-cast-${randomUUID()}`, username: 'Cast' });
  const laterBots = Object.fromEntries(
    (options.laterBots ?? []).map((name) => [
      name,
      discord.addBot({ token: `token-${name.toLowerCase()}-${randomUUID()}`, username: name }),
    ]),
  );
  const channelId = discord.createTextChannel('general');
  const workerEnv: NodeJS.ProcessEnv = {
    MONGODB_URI: process.env.MONGODB_URI,
    MONGODB_DB: `fgbots_e2e_${randomUUID().slice(0, 8)}`,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `e2e-${randomUUID()}`,
    CHROMA_URL: process.env.CHROMA_URL,
    EMBEDDING_MODEL_DIR: process.env.EMBEDDING_MODEL_DIR,
    CHROMA_COLLECTION: `wiki-${randomUUID()}`,
    OLLAMA_HOST: ollama.url,
    OLLAMA_MODEL: 'scripted',
    OLLAMA_TIMEOUT_MS: '30000',
    DISCORD_API_URL: discord.apiUrl,
    LLM_CONCURRENCY: String(options.llmConcurrency ?? 4),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    FOLLOW_UP_MAX_CHAIN: '0',
    QC_ENABLED: 'false',
    ROSTER_REFRESH_MS: '500',
    ...(voices !== 'cast' &&
      Object.fromEntries(
        CHARACTERS.map((name) => [`DISCORD_TOKEN_${name.toUpperCase()}`, botUsers[name].token]),
      )),
    ...(castBot && { DISCORD_CAST_TOKEN: castBot.token }),
    ...Object.fromEntries(
      Object.entries(laterBots).map(([name, bot]) => [`DISCORD_TOKEN_${name.toUpperCase()}`, bot.token]),
    ),
    ...options.env,
  };
  const config = loadConfig(workerEnv);
  const store = await openStore(config.mongodbUri, config.mongodbDb);
  const roster = await openStoreRoster(config, store);
  const deps = activityDepsFromConfig(config, store, roster);
  await store.characterPrompts.seedDefaults(loadRoster(config.characters));
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });

  let worker: { run: Promise<void>; shutdown(): void } | undefined;
  const startWorker = async () => {
    const workers = await createWorkers({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      llmConcurrency: config.llmConcurrency,
      deps,
      workflowBundle: await workflowBundle(),
    });
    worker = { run: workers.run(), shutdown: workers.shutdown };
  };
  const stopWorker = async () => {
    if (!worker) return;
    worker.shutdown();
    await worker.run;
    worker = undefined;
  };
  if (options.worker ?? true) await startWorker();

  // Without in-process bots a test runs src/bots/main.ts itself (the production layout).
  const bots: CharacterBot[] =
    (options.bots ?? true)
      ? await startBots({ config, roster, temporal, gatewayStatus: store.gatewayStatus, log: logger })
      : [];
  if (bots.length > 0) await discord.waitForBotsReady(bots.length);

  return {
    config,
    roster,
    knowledge: deps.knowledge,
    discord,
    ollama,
    store,
    temporal,
    botUsers,
    castBot,
    laterBots,
    channelId,
    workerEnv,
    startAdmin: (token) =>
      startAdminServer({
        ...adminSettings(config, roster),
        host: '127.0.0.1',
        port: 0,
        token,
        store,
        temporal,
        checks: {},
        log: logger,
      }),
    startWorker,
    stopWorker,
    async stop() {
      await Promise.allSettled(bots.map((bot) => bot.stop()));
      roster.stop();
      await stopWorker();
      await connection.close();
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
      await ollama.close();
      await discord.close();
    },
  };
}
