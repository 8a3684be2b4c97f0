/**
 * The dashboard's Discord health per character, from the shard reports the bots processes write
 * (src/store/gatewayStatus.ts), and the status words they write (src/bots/gatewayStatus.ts).
 */
import { Status } from 'discord.js';
import { statusName } from '../../src/bots/gatewayStatus';
import { GATEWAY_STALE_MS, gatewayHealth, type GatewayShardStatus } from '../../src/store/gatewayStatus';

const now = new Date('2026-12-06T12:00:00Z');
const report = (fields: Partial<GatewayShardStatus> & Pick<GatewayShardStatus, 'character'>) => ({
  _id: `${fields.character}:${fields.shard_id ?? 0}`,
  shard_id: 0,
  shard_count: 1,
  status: 'ready',
  ping_ms: 40,
  updated_at: new Date(now.getTime() - 10_000),
  ...fields,
});

describe('gateway health', () => {
  it('is ok when every shard of the character reported ready recently', () => {
    const reports = [
      report({ character: 'Peter', shard_count: 2 }),
      report({ character: 'Peter', shard_id: 1, shard_count: 2, ping_ms: 90 }),
      report({ character: 'Brian', status: 'reconnecting' }),
    ];
    expect(gatewayHealth(reports, 'Peter', now)).toEqual({
      ok: true,
      latency_ms: 90,
      detail: 'ready (2 shards)',
    });
    expect(gatewayHealth(reports, 'Brian', now)).toEqual({
      ok: false,
      latency_ms: 40,
      error: 'shard 0: reconnecting',
    });
  });

  it('is not ok for a bot never seen, a shard no process runs, or a report gone stale', () => {
    expect(gatewayHealth([], 'Stewie', now)).toMatchObject({
      ok: false,
      error: expect.stringContaining('no gateway status'),
    });
    expect(gatewayHealth([report({ character: 'Peter', shard_count: 2 })], 'Peter', now)).toMatchObject({
      ok: false,
      error: 'shard 1: never reported',
    });
    const stale = report({
      character: 'Peter',
      updated_at: new Date(now.getTime() - GATEWAY_STALE_MS - 1000),
    });
    expect(gatewayHealth([stale], 'Peter', now)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^shard 0: no report for \d+ s/),
    });
  });

  it('names discord.js statuses in snake case', () => {
    expect(statusName(Status.Ready)).toBe('ready');
    expect(statusName(Status.WaitingForGuilds)).toBe('waiting_for_guilds');
    expect(statusName(42 as Status)).toBe('unknown_42');
  });
});
