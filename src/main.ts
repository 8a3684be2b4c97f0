/**
 * The main job (`scripts/up`): the local stack (Temporal + UI, FerretDB, Chroma, Ollama with
 * the bundled small model; each skipped when its variable points elsewhere), the Temporal
 * worker, one Discord bot per character with a token, and the admin HTTP API, in one
 * process. Ctrl-C stops it all.
 * In production these run as separate services (docker-compose.yml).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dependencyChecks } from './admin/healthChecks';
import { adminSettings, startAdminServer } from './admin/server';
import { startBots } from './bots';
import { CAST_BOT_NAME } from './bots/characterBot';
import { deliveryMode } from './characters/delivery';
import { openStoreRoster } from './characters/liveRoster';
import { ConfigError, loadConfig } from './config';
import { logger } from './logger';
import { SERVICE_TITLES, startLocalStack } from './stack/localStack';
import { findRepoRoot, resolveServerTools } from './stack/tools';
import { openStore } from './store/mongo';
import { installTemporalRuntime, runWorker } from './worker';

const stackLog = (msg: string) => logger.info({ component: 'stack' }, msg);

async function main(): Promise<void> {
  // Settings from .env (or ENV_FILE), when there is one; variables already in the environment win.
  const envFile = process.env.ENV_FILE || '.env';
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  const settings = loadConfig(); // fail fast on bad settings, before starting anything
  const stack = await startLocalStack({
    dataDir: path.resolve(settings.localStackDir),
    ports: settings.localStackPorts,
    mongoDatabase: '',
    // Own process group: Ctrl-C reaches only this process, which stops the services after
    // the worker has drained. They stop with this process however it ends (a watchdog stops
    // them after a SIGKILL), and services an earlier, killed run left behind are adopted.
    detached: true,
    stopOnExit: true,
    log: stackLog,
  });
  const config = loadConfig({
    ...process.env,
    EMBEDDING_MODEL_DIR:
      settings.embeddingModelDir ?? (await resolveServerTools(findRepoRoot(), stackLog)).embeddingModelDir,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URI: stack.mongodbUri,
    CHROMA_URL: stack.chromaUrl,
    OLLAMA_HOST: stack.ollamaHost,
    // The stack's own Ollama has the bundled model; a model named in the environment wins.
    OLLAMA_MODEL: process.env.OLLAMA_MODEL?.trim() || stack.bundledModel || settings.ollamaModel,
    TEMPORAL_UI_URL: stack.temporalUiUrl ?? settings.temporalUiUrl,
  });

  installTemporalRuntime();
  const store = await openStore(config.mongodbUri, config.mongodbDb);
  const roster = await openStoreRoster(config, store);
  // The bots start workflows through the worker's own connection, so the server can hand a
  // reply's first workflow task straight to this worker (eager start).
  const workerConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = runWorker(config, store, workerConnection, roster); // resolves when SIGINT/SIGTERM shuts the workers down
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const botsTemporal = new Client({ connection: workerConnection, namespace: config.temporalNamespace });
  const bots = await startBots({
    config,
    roster,
    temporal: botsTemporal,
    gatewayStatus: store.gatewayStatus,
    log: logger,
  });
  const checks = dependencyChecks(config);
  const admin = await startAdminServer({
    ...adminSettings(config, roster),
    store,
    temporal,
    checks,
    log: logger,
  });
  const ollama = await checks.ollama?.().then(
    () => 'reachable',
    (err: unknown) =>
      `NOT ready (${err instanceof Error ? err.message : String(err)}): replies fall back to in-character lines until it is`,
  );
  const model =
    config.ollamaModel === stack.bundledModel
      ? `${config.ollamaModel} (bundled, 135M parameters: set OLLAMA_MODEL, or OLLAMA_HOST and OLLAMA_MODEL, for a bigger one)`
      : config.ollamaModel;
  // Services this run found running and does not stop (started by `npm run stack -- up`, or by another run).
  const leftRunning = Object.values(stack.services)
    .filter((service) => service.mode === 'reused')
    .map((service) => `${SERVICE_TITLES[service.name]} (pid ${service.pid})`);
  const online = new Set(bots.map((bot) => bot.character));
  const characterState = (name: string): string => {
    switch (deliveryMode(name, Object.keys(config.discordTokens), config.castToken !== undefined)) {
      case 'bot':
        return online.has(name) ? 'in Discord' : 'Discord login failed';
      case 'webhook':
        return online.has(CAST_BOT_NAME) ? 'in Discord through webhooks' : 'cast bot login failed';
      case 'offline':
        return `no DISCORD_TOKEN_${name.toUpperCase()} or DISCORD_CAST_TOKEN`;
    }
  };
  process.stdout.write(
    [
      '',
      'Family Guy bots are running.',
      `  Temporal UI:  ${config.temporalUiUrl}`,
      `  Admin API:    ${admin.url}  (GET /health${config.adminToken ? '' : '; set ADMIN_TOKEN to enable the other routes'})`,
      `  Dashboard:    ${admin.url}/  (${config.adminToken ? 'sign in with ADMIN_TOKEN' : 'set ADMIN_TOKEN to sign in'})`,
      `  Ollama:       ${config.ollamaHost}, model ${model}: ${ollama}`,
      `  Characters:   ${roster
        .active()
        .map((c) => `${c.name} (${characterState(c.name)})`)
        .join(', ')}`,
      `  Service logs: ${stack.logDir}`,
      ...(leftRunning.length > 0
        ? [
            `  Not stopped by Ctrl-C: ${leftRunning.join(', ')} (not started by this run; \`npm run stack -- down\` stops them)`,
          ]
        : []),
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );

  try {
    await worker;
  } finally {
    await Promise.allSettled(bots.map((bot) => bot.stop()));
    roster.stop();
    await admin.close();
    await connection.close();
    await workerConnection.close();
    await store.close();
    await stack.stop();
    if (leftRunning.length > 0) {
      stackLog(`left running: ${leftRunning.join(', ')} (\`npm run stack -- down\` stops them)`);
    }
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n(see README: Configuration)\n`);
  } else {
    logger.fatal({ err }, 'the main job stopped');
  }
  process.exit(1);
});
