import type { Client as TemporalClient } from '@temporalio/client';
import type { CharacterDefinition } from '../characters/roster';
import { followUpPolicy, type Config } from '../config';
import type { Logger } from '../logger';
import type { GatewayStatus } from '../store/gatewayStatus';
import type { RosterMember } from './addressing';
import { startCharacterBot, type CharacterBot } from './characterBot';
import { shardingFromConfig } from './sharding';

/**
 * Logs in one bot per character that has a DISCORD_TOKEN_<NAME>. Characters without a
 * token stay offline with a clear message; the rest of the system runs regardless.
 */
export async function startBots(options: {
  config: Config;
  roster: CharacterDefinition[];
  temporal: TemporalClient;
  /** Where each bot records its gateway state (the dashboard's health); absent: nowhere. */
  gatewayStatus?: GatewayStatus;
  log: Logger;
}): Promise<CharacterBot[]> {
  const { config, roster, temporal, log } = options;
  const followUps = followUpPolicy(config, roster);
  const sharding = shardingFromConfig(config);
  const members: RosterMember[] = roster.map((c) => ({ name: c.name, aliases: c.aliases, userId: null }));
  const withTokens = roster.filter((character) => {
    if (config.discordTokens[character.name.toLowerCase()]) return true;
    log.warn(
      `DISCORD_TOKEN_${character.name.toUpperCase()} is not set: ${character.name} stays offline in Discord`,
    );
    return false;
  });
  if (withTokens.length === 0) {
    log.warn('no Discord tokens configured: no bot joins Discord (the worker and admin API still run)');
  }
  const started = await Promise.allSettled(
    withTokens.map((character) =>
      startCharacterBot({
        character,
        token: config.discordTokens[character.name.toLowerCase()] as string,
        apiUrl: config.discordApiUrl,
        temporal,
        taskQueue: config.taskQueue,
        roster: members,
        followUps,
        sharding,
        ...(options.gatewayStatus && { gatewayStatus: options.gatewayStatus }),
        log,
      }),
    ),
  );
  const bots: CharacterBot[] = [];
  started.forEach((result, index) => {
    const name = withTokens[index]?.name;
    if (result.status === 'fulfilled') bots.push(result.value);
    // Error messages from discord.js never include the token.
    else log.error({ character: name, error: String(result.reason) }, `${name} could not log in to Discord`);
  });
  return bots;
}
