/** The bots process (production): one Discord gateway client per character with a token. */
import { Client, Connection } from '@temporalio/client';
import { loadRoster } from '../characters/roster';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { startBots } from '.';

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const bots = await startBots({
    config,
    roster: loadRoster(config.characters, config.charactersFile),
    temporal,
    log: logger,
  });
  const stop = async () => {
    await Promise.allSettled(bots.map((bot) => bot.stop()));
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'bots stopped');
  process.exit(1);
});
