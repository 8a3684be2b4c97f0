import type { Client as TemporalClient } from '@temporalio/client';
import { deliveryMode } from '../characters/delivery';
import type { RosterView } from '../characters/liveRoster';
import { coordinatorPolicy, followUpPolicy, type Config } from '../config';
import type { Logger } from '../logger';
import type { GatewayStatus } from '../store/gatewayStatus';
import { startCharacterBot, type BotUsers, type CharacterBot, type Voice } from './characterBot';
import { shardingFromConfig } from './sharding';

/**
 * Logs in one bot per DISCORD_TOKEN_<NAME> (its character may be imported later), and with
 * DISCORD_CAST_TOKEN the cast bot, which speaks through webhooks for every other character (those
 * imported later included).
 * Characters without either stay offline with a clear message; the rest of the system runs regardless.
 */
export async function startBots(options: {
  config: Config;
  roster: RosterView;
  temporal: TemporalClient;
  /** Where each bot records its gateway state (the dashboard's health); absent: nowhere. */
  gatewayStatus?: GatewayStatus;
  log: Logger;
}): Promise<CharacterBot[]> {
  const { config, roster, temporal, log } = options;
  const sharding = shardingFromConfig(config);
  const users: BotUsers = { characters: new Map(), cast: null };
  const modeOf = (name: string) =>
    deliveryMode(name, Object.keys(config.discordTokens), config.castToken !== undefined);
  // Every token logs in, also one whose character is retired or not imported yet: it answers once it is.
  const voices: Array<{ voice: Voice; token: string }> = Object.entries(config.discordTokens).map(
    ([key, token]) => ({ voice: { kind: 'character', character: roster.find(key)?.name ?? key }, token }),
  );
  for (const character of roster.active()) {
    if (modeOf(character.name) === 'offline') {
      log.warn(
        `neither DISCORD_TOKEN_${character.name.toUpperCase()} nor DISCORD_CAST_TOKEN is set: ${character.name} stays offline in Discord`,
      );
    }
  }
  if (config.castToken) voices.push({ voice: { kind: 'cast' }, token: config.castToken });
  if (voices.length === 0) {
    log.warn('no Discord tokens configured: no bot joins Discord (the worker and admin API still run)');
  }
  const started = await Promise.allSettled(
    voices.map(({ voice, token }) =>
      startCharacterBot({
        voice,
        castCharacters: () =>
          roster
            .active()
            .map((character) => character.name)
            .filter((name) => modeOf(name) === 'webhook'),
        token,
        apiUrl: config.discordApiUrl,
        temporal,
        taskQueue: config.taskQueue,
        roster,
        users,
        followUpsIn: async (channelId) => {
          const [present, channel] = await Promise.all([
            roster.presentIn(channelId),
            roster.channel(channelId),
          ]);
          return followUpPolicy(config, present, channel?.follow_up_max_chain ?? undefined);
        },
        unnamedIn: async (channelId) => {
          const [present, channel] = await Promise.all([
            roster.presentIn(channelId),
            roster.channel(channelId),
          ]);
          // Only characters that can post here: a pick without a voice would never be heard.
          const voiced = present.filter((character) => modeOf(character.name) !== 'offline');
          return coordinatorPolicy(config, voiced, channel);
        },
        commandsGuildId: config.discordCommandsGuildId,
        sharding,
        ...(options.gatewayStatus && { gatewayStatus: options.gatewayStatus }),
        log,
      }),
    ),
  );
  const bots: CharacterBot[] = [];
  started.forEach((result, index) => {
    const voice = voices[index]?.voice;
    const name = voice?.kind === 'character' ? voice.character : 'the cast bot';
    if (result.status === 'fulfilled') bots.push(result.value);
    // Error messages from discord.js never include the token.
    else log.error({ character: name, error: String(result.reason) }, `${name} could not log in to Discord`);
  });
  return bots;
}
