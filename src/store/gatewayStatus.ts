import type { Collection, Db } from 'mongodb';

/** One Discord gateway shard of one character's bot, as its bots process last reported it. */
export interface GatewayShardStatus {
  /** `<character>:<shard id>`: each report replaces the shard's last one. */
  _id: string;
  character: string;
  shard_id: number;
  /** Shards of the bot over all bots processes (DISCORD_SHARD_COUNT). */
  shard_count: number;
  /**
   * discord.js' shard status in snake case (`ready`, `connecting`, `reconnecting`, `resuming`,
   * `identifying`, `waiting_for_guilds`, `nearly`, `idle`, `disconnected`), or `stopped` when its
   * process stopped the bot.
   */
  status: string;
  /** The gateway heartbeat's round trip; null before the first. */
  ping_ms: number | null;
  updated_at: Date;
}

/** How often a bots process reports every shard, changes or not: what "fresh" is measured against. */
export const GATEWAY_REPORT_EVERY_MS = 30_000;
/** A report older than this means its process is gone (or cannot reach MongoDB). */
export const GATEWAY_STALE_MS = 3 * GATEWAY_REPORT_EVERY_MS;

/**
 * gateway_status: the bots processes' gateway state per character and shard, for the dashboard's
 * health (no other process can see a gateway connection). One small document per character and shard,
 * rewritten on every change and every GATEWAY_REPORT_EVERY_MS: FerretDB v1 runs each rewrite as a scan
 * of this collection, which stays a handful of documents.
 */
export class GatewayStatus {
  readonly collection: Collection<GatewayShardStatus>;

  constructor(db: Db) {
    this.collection = db.collection<GatewayShardStatus>('gateway_status');
  }

  async record(report: Omit<GatewayShardStatus, '_id' | 'updated_at'>): Promise<void> {
    const _id = `${report.character}:${report.shard_id}`;
    await this.collection.replaceOne({ _id }, { ...report, updated_at: new Date() }, { upsert: true });
  }

  list(): Promise<GatewayShardStatus[]> {
    return this.collection.find().sort({ character: 1, shard_id: 1 }).toArray();
  }
}

/** A character's gateway health: ok when every shard of its bot reported `ready` recently. */
export interface GatewayHealth {
  ok: boolean;
  /** The slowest shard's heartbeat round trip (0 when none is known). */
  latency_ms: number;
  detail?: string;
  error?: string;
}

/** Reads a character's shard reports (from `list`) as its gateway health at `now`. */
export function gatewayHealth(reports: GatewayShardStatus[], character: string, now: Date): GatewayHealth {
  const own = reports.filter((report) => report.character === character);
  const latency_ms = Math.max(0, ...own.map((report) => report.ping_ms ?? 0));
  if (own.length === 0)
    return {
      ok: false,
      latency_ms,
      error: 'no gateway status recorded (no Discord token, or no bots process)',
    };
  const count = Math.max(...own.map((report) => report.shard_count));
  const problems = Array.from({ length: count }, (_, id) => {
    const report = own.find((candidate) => candidate.shard_id === id);
    const age = report ? now.getTime() - report.updated_at.getTime() : Infinity;
    if (!report) return `shard ${id}: never reported`;
    if (age > GATEWAY_STALE_MS)
      return `shard ${id}: no report for ${Math.round(age / 1000)} s (bots process down?)`;
    return report.status === 'ready' ? null : `shard ${id}: ${report.status}`;
  }).filter((problem): problem is string => problem !== null);
  if (problems.length > 0) return { ok: false, latency_ms, error: problems.join('; ') };
  return { ok: true, latency_ms, detail: count === 1 ? 'ready' : `ready (${count} shards)` };
}
