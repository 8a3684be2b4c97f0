import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, createLlmActivities, type ActivityDeps } from './activities';
import { webhookAvatarUrl } from './characters/delivery';
import { openStoreRoster, type LiveRoster, type RosterView } from './characters/liveRoster';
import type { RosterEntry } from './characters/profile';
import { loadRoster } from './characters/roster';
import {
  followUpPolicy,
  loadConfig,
  promptReviewPolicy,
  qcPolicy,
  sessionMemoryPolicy,
  type Config,
} from './config';
import { ensureMetricsFoldSchedule } from './schedules/metricsFold';
import { ensurePromptReviewSchedule } from './prompts/reviewSchedule';
import { createDiscordPoster } from './discord/rest';
import { createWikiKnowledge } from './knowledge/wikiKnowledge';
import { createOllamaLlm } from './llm/ollamaChat';
import { logger, temporalLogger } from './logger';
import { ensureOrganicSchedules, organicSettingsFromConfig } from './organic/schedules';
import { openStore, type Store } from './store/mongo';
import { llmTaskQueueFor } from './workflows/contracts/taskQueues';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** LLM activities at once on this worker (a single GPU serves one or two well). */
  llmConcurrency: number;
  deps: ActivityDeps;
  /** A prebuilt workflow bundle (tests build it once); otherwise src/workflows is bundled. */
  workflowBundle?: WorkflowBundleOption;
}

/**
 * A worker process runs two Temporal workers: one on the main queue (all workflows and
 * the MongoDB/Chroma/Discord activities) and one on `<queue>-llm` (generation only,
 * with bounded concurrency so the LLM is never flooded).
 */
export async function createWorkers(
  options: WorkerOptions,
): Promise<{ run(): Promise<void>; shutdown(): void }> {
  const { connection, namespace, taskQueue, deps } = options;
  const workflows = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: require.resolve('./workflows') };
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue,
    ...workflows,
    activities: createActivities(deps),
  });
  const llm = await Worker.create({
    connection,
    namespace,
    taskQueue: llmTaskQueueFor(taskQueue),
    activities: createLlmActivities(deps),
    maxConcurrentActivityTaskExecutions: options.llmConcurrency,
  });
  return {
    run: async () => {
      await Promise.all([main.run(), llm.run()]);
    },
    shutdown: () => {
      for (const worker of [main, llm]) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}

/** The production dependencies of the activities, from configuration. */
export function activityDepsFromConfig(config: Config, store: Store, roster: RosterView): ActivityDeps {
  return {
    store,
    llm: createOllamaLlm({
      host: config.ollamaHost,
      model: config.ollamaModel,
      temperature: config.ollamaTemperature,
      numCtx: config.ollamaNumCtx,
      numPredict: config.ollamaNumPredict,
      timeoutMs: config.ollamaTimeoutMs,
    }),
    discord: createDiscordPoster(
      config.discordApiUrl,
      config.discordTokens,
      config.castToken === undefined
        ? undefined
        : {
            token: config.castToken,
            avatarFor: (character) =>
              Promise.resolve(webhookAvatarUrl(roster.find(character), config.publicBaseUrl)),
          },
    ),
    knowledge: createWikiKnowledge({
      chromaUrl: config.chromaUrl,
      collectionName: config.chromaCollection,
      modelDir: config.embeddingModelDir,
      topK: config.ragTopK,
      minScore: config.ragMinScore,
    }),
    roster,
    historyWindow: config.historyWindow,
    qc: qcPolicy(config),
    regenerateMaxPerReply: config.regenerateMaxPerReply,
    memory: sessionMemoryPolicy(config),
    live: {
      byDefault: config.liveReplies,
      editIntervalMs: config.liveEditIntervalMs,
      botCharacters: Object.keys(config.discordTokens),
    },
  };
}

/**
 * Seeds the roster's v1.0 prompts, ensures the schedules and runs the workers on `connection`
 * (the caller's: a client on it can start workflows eagerly on these workers) until a signal stops them.
 */
export async function runWorker(
  config: Config,
  store: Store,
  connection: NativeConnection,
  /** The process's live roster when it has one already (the main job's); else one is opened here. */
  liveRoster?: LiveRoster,
): Promise<void> {
  const definitions = loadRoster(config.characters, config.charactersFile);
  const roster = liveRoster ?? (await openStoreRoster(config, store));
  await store.characterPrompts.seedDefaults(definitions);
  await ensureSchedules(config, roster.active());
  const deps = activityDepsFromConfig(config, store, roster);
  const workers = await createWorkers({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    llmConcurrency: config.llmConcurrency,
    deps,
  });
  // Not awaited: the worker serves replies meanwhile (their retrieval is dense-only until it is done).
  deps.knowledge.warm().then(
    () => logger.info('wiki knowledge base ready (embedding model loaded, lexical index built)'),
    (err: unknown) => logger.warn({ err }, 'wiki knowledge base not ready yet; retrieval will retry'),
  );
  logger.info({ taskQueue: config.taskQueue, llmConcurrency: config.llmConcurrency }, 'worker running');
  try {
    await workers.run();
  } finally {
    if (!liveRoster) roster.stop();
  }
}

/**
 * The schedules the worker's workflows run on: the prompt review (updated to the
 * environment's settings) and one silence check per ORGANIC_CHANNELS entry (existing
 * ones are kept as admins left them).
 */
async function ensureSchedules(config: Config, roster: RosterEntry[]): Promise<void> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    const temporal = new Client({ connection, namespace: config.temporalNamespace });
    const review = await ensurePromptReviewSchedule(temporal, {
      taskQueue: config.taskQueue,
      everyMinutes: config.promptReviewMinutes,
      policy: promptReviewPolicy(config),
    });
    logger.info(
      { schedule: review, everyMinutes: config.promptReviewMinutes },
      'prompt review schedule ensured',
    );
    const fold = await ensureMetricsFoldSchedule(temporal, { taskQueue: config.taskQueue });
    logger.info({ schedule: fold }, 'metrics fold schedule ensured');
    if (config.organicChannels.length === 0) return;
    const outcomes = await ensureOrganicSchedules(temporal, {
      taskQueue: config.taskQueue,
      channelIds: config.organicChannels,
      settings: organicSettingsFromConfig(config),
      followUps: followUpPolicy(config, roster),
    });
    logger.info({ schedules: outcomes }, 'organic conversation schedules ensured');
  } finally {
    await connection.close();
  }
}

let runtimeInstalled = false;
/** Routes the SDK's logs to pino; once per process, before the first worker. */
export function installTemporalRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: temporalLogger(logger.child({ component: 'temporal' })) });
  runtimeInstalled = true;
}

async function main(): Promise<void> {
  const config = loadConfig();
  installTemporalRuntime();
  const store = await openStore(config.mongodbUri, config.mongodbDb);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    await runWorker(config, store, connection);
  } finally {
    await connection.close();
    await store.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    logger.fatal({ err }, 'worker stopped');
    process.exit(1);
  });
}
