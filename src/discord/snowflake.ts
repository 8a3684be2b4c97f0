/**
 * Discord ids (snowflakes). Pure: workflow code uses it too.
 */

const DISCORD_EPOCH_MS = BigInt(1_420_070_400_000);

/** Discord ids carry their creation time: milliseconds since 2015 in the bits above 22. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> BigInt(22)) + DISCORD_EPOCH_MS);
}

/** The smallest id made at `ms` (epoch milliseconds): Discord's `after` takes it to mean "since then". */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.floor(ms)) - DISCORD_EPOCH_MS) << BigInt(22)).toString();
}
