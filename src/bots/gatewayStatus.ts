import { Events, Status, type Client } from 'discord.js';
import type { Logger } from '../logger';
import { GATEWAY_REPORT_EVERY_MS, type GatewayStatus } from '../store/gatewayStatus';

/** How long stopping waits for the last report (MongoDB may be what is down). */
const STOP_REPORT_MS = 2000;

export interface GatewayReporter {
  /** Reports the shards `stopped` (best effort) and ends the periodic reports. */
  stop(): Promise<void>;
}

/**
 * Records a character's gateway state per shard in gateway_status: on every change discord.js
 * announces and every GATEWAY_REPORT_EVERY_MS (so the dashboard can tell a dead process by its silence).
 * Writes go one at a time, in order, so the last state recorded is the last one seen; a write that fails
 * (MongoDB down: the bots do not need it) is logged and the next one tries again.
 */
export function reportGatewayStatus(options: {
  client: Client;
  character: string;
  status: GatewayStatus;
  log: Logger;
}): GatewayReporter {
  const { client, character, status, log } = options;
  let queue = Promise.resolve();
  let failing = false;
  const report = (shardId: number, state?: string) => {
    const shard = client.ws.shards.get(shardId);
    const write = () =>
      status.record({
        character,
        shard_id: shardId,
        shard_count: client.options.shardCount ?? 1,
        status: state ?? (shard ? statusName(shard.status) : 'disconnected'),
        ping_ms: shard && shard.ping >= 0 ? shard.ping : null,
      });
    queue = queue.then(write).then(
      () => {
        if (failing) log.info('gateway status recorded again');
        failing = false;
      },
      (err: unknown) => {
        // Once per outage: the periodic reports would repeat it every 30 s.
        if (!failing) log.warn({ err }, 'could not record the gateway status (retried every 30 s)');
        failing = true;
      },
    );
    return queue;
  };
  const reportAll = (state?: string) =>
    Promise.all([...client.ws.shards.keys()].map((id) => report(id, state)));

  client.on(Events.ShardReady, (shardId) => void report(shardId));
  client.on(Events.ShardResume, (shardId) => void report(shardId));
  client.on(Events.ShardReconnecting, (shardId) => void report(shardId));
  client.on(Events.ShardDisconnect, (_event, shardId) => void report(shardId));
  client.on(Events.ShardError, (_error, shardId) => void report(shardId));
  const timer = setInterval(() => void reportAll(), GATEWAY_REPORT_EVERY_MS);
  timer.unref();

  return {
    stop: async () => {
      clearInterval(timer);
      const last = reportAll('stopped');
      await Promise.race([last, new Promise((resolve) => setTimeout(resolve, STOP_REPORT_MS).unref())]);
    },
  };
}

/** discord.js' Status as a snake-case word: WaitingForGuilds -> waiting_for_guilds. */
export function statusName(status: Status): string {
  const name = Status[status] as string | undefined;
  return name ? name.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase() : `unknown_${status}`;
}
