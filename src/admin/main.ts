/** The admin API process (production). */
import { Client, Connection } from '@temporalio/client';
import { openStoreRoster } from '../characters/liveRoster';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { stopOnSignals } from '../shutdown';
import { openStore } from '../store/mongo';
import { dependencyChecks } from './healthChecks';
import { adminSettings, startAdminServer } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const store = await openStore(config.mongodbUri, config.mongodbDb);
  const roster = await openStoreRoster(config, store);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const admin = await startAdminServer({
    ...adminSettings(config, roster),
    store,
    temporal: new Client({ connection, namespace: config.temporalNamespace }),
    checks: dependencyChecks(config),
    log: logger,
  });
  logger.info({ url: admin.url }, 'admin API listening');
  stopOnSignals(async () => {
    await admin.close();
    roster.stop();
    await connection.close();
    await store.close();
  });
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'admin API stopped');
  process.exit(1);
});
