/**
 * Discord ids (snowflakes). Pure: workflow code uses it too.
 */

/** Discord ids carry their creation time: milliseconds since 2015 in the bits above 22. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> BigInt(22)) + BigInt(1_420_070_400_000));
}
