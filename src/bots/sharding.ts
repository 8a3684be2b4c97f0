import type { Config } from '../config';

/**
 * The gateway shards a bots process runs, as discord.js' Client options `shards` and `shardCount`
 * (internal sharding: one client per character holds all of this process's shards). Every character
 * uses the same split: Discord sends a guild's events to shard `(guild_id >> 22) % shard_count` of
 * each bot, so with equal counts one process gets a guild's messages for every character, and can
 * tell which of them is addressed.
 */
export interface Sharding {
  /** Shard ids to connect, or 'auto': as many as Discord recommends (GET /gateway/bot), all here. */
  shards: number[] | 'auto';
  /** Shards of the bot across all processes; undefined with 'auto' (discord.js asks Discord). */
  shardCount: number | undefined;
}

export function shardingFromConfig(config: Pick<Config, 'discordShards' | 'discordShardCount'>): Sharding {
  const { discordShards: shards, discordShardCount: count } = config;
  if (count === 'auto') return { shards: 'auto', shardCount: undefined }; // loadConfig allows auto with 'all' only
  return {
    shards: shards === 'all' ? Array.from({ length: count }, (_, id) => id) : shards,
    shardCount: count,
  };
}
