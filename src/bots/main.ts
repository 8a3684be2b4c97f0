/** The bots process (production): one Discord gateway client per character with a token. */
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { openLiveRoster } from '../characters/liveRoster';
import { loadRoster } from '../characters/roster';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { stopOnSignals } from '../shutdown';
import { ChannelSettings } from '../store/channelSettings';
import { CharacterRoster } from '../store/characterRoster';
import { GatewayStatus } from '../store/gatewayStatus';
import { startBots } from '.';

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  // For the roster, the channels' casts and the gateway status the dashboard shows: not connected up
  // front (the driver connects on first use), so the bots answer Discord whether MongoDB is up or not.
  const mongo = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 10_000, appName: 'bots' });
  const db = mongo.db(config.mongodbDb);
  const roster = await openLiveRoster({
    sources: { characterRoster: new CharacterRoster(db), channelSettings: new ChannelSettings(db) },
    definitions: loadRoster(config.characters, config.charactersFile),
    refreshMs: config.rosterRefreshMs,
    log: logger,
  });
  const bots = await startBots({
    config,
    roster,
    temporal,
    gatewayStatus: new GatewayStatus(db),
    log: logger,
  });
  if (bots.length === 0) {
    // Nothing to keep running; a non-zero exit makes the misconfiguration visible to the supervisor.
    throw new Error(
      'no character bot is logged in to Discord: set DISCORD_TOKEN_<NAME> for at least one character',
    );
  }
  stopOnSignals(async () => {
    await Promise.allSettled(bots.map((bot) => bot.stop()));
    roster.stop();
    await connection.close();
    await mongo.close();
  });
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'bots stopped');
  process.exit(1);
});
