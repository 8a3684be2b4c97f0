// Snowflakes: (ms since the Discord epoch << 22) | increment, so ids sort by creation like real ones and
// discord.js' createdTimestamp works. Process-wide, so two fakes never hand out the same id.
const DISCORD_EPOCH = 1_420_070_400_000n;
let lastMs = 0n;
let increment = 0n;

export function nextSnowflake(): string {
  const now = BigInt(Date.now()) - DISCORD_EPOCH;
  if (now > lastMs) [lastMs, increment] = [now, 0n];
  else if (++increment > 0xfffn) [lastMs, increment] = [lastMs + 1n, 0n];
  return ((lastMs << 22n) | increment).toString();
}

/**
 * A new snowflake on shard `shardId` of `shardCount` ((id >> 22) % count, the timestamp part): its time
 * is moved up to count - 1 ms ahead, so later ids stay unique and ordered. Tests use it to place a guild.
 */
export function nextSnowflakeOnShard(shardId: number, shardCount: number): string {
  const id = nextSnowflake();
  const ms = BigInt(id) >> 22n;
  const count = BigInt(shardCount);
  const ahead = (BigInt(shardId) - (ms % count) + count) % count;
  if (ahead === 0n) return id;
  [lastMs, increment] = [ms + ahead, 0n];
  return (lastMs << 22n).toString();
}

/** Discord's timestamp format (2024-05-01T12:00:00.123000+00:00) for the moment a snowflake was made. */
export function snowflakeTime(id: string): string {
  return new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH)).toISOString().replace('Z', '000+00:00');
}
