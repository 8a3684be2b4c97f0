/**
 * Timeouts and retry policies of the activities, shared by the workflows so that the
 * same step behaves the same wherever it runs.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * MongoDB reads and writes: quick, idempotent, and worth retrying through a short outage.
 * They run as local activities, in the worker that runs the workflow task, which saves
 * a task-queue round trip (~30 ms on the dev server) for each of them.
 */
export const STORE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
};
export const STORE_OPTIONS: LocalActivityOptions = { startToCloseTimeout: '30 seconds', retry: STORE_RETRY };

/**
 * Retrieval is an extra: if Chroma is down the reply goes out without wiki context. A reply runs
 * it as a local activity (it is short and reads only), an organic start as a regular one.
 */
export const RETRIEVAL_LOCAL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
};
export const RETRIEVAL_OPTIONS: ActivityOptions = RETRIEVAL_LOCAL_OPTIONS;

/** Discord delivery: rides out 5xx and rate limits for a few minutes; 4xx is final. */
export const DELIVERY_MAX_ATTEMPTS = 8;
export const DELIVERY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: DELIVERY_MAX_ATTEMPTS,
  },
};

/**
 * Generation: 3 attempts, 2 s then 4 s apart (the original system's dead-letter
 * policy). The heartbeat timeout moves a call off a dead worker within seconds.
 * A live reply (generateLiveReply) is generation too, its posts and edits riding along:
 * the same options, its heartbeats carrying the ids of the parts posted so far.
 */
export const GENERATE_MAX_ATTEMPTS = 3;
export const LLM_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: GENERATE_MAX_ATTEMPTS,
  },
};

/** Reading a channel's newest message: quick; if Discord does not answer, the caller skips a turn. */
export const DISCORD_READ_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
};

/** Reads every rating and turn: a regular activity with room to scan a large history. */
export const METRICS_REFRESH_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: STORE_RETRY,
};

/** Folding metric events: a few small reads and writes, on a schedule that runs again in a minute. */
export const METRICS_FOLD_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
};

/** Listing a wiki's pages: a few paged api.php requests. */
export const PLAN_CRAWL_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
};

/**
 * One wiki page: fetch, parse, chunk, embed, upsert. A page that keeps failing (3 attempts,
 * 1 s then 2 s apart) is dead-lettered and the crawl goes on. The heartbeat timeout moves
 * a page off a dead worker quickly.
 */
export const PAGE_MAX_ATTEMPTS = 3;
export const CRAWL_PAGE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: PAGE_MAX_ATTEMPTS },
};

/**
 * Forget-me's deletions: each scans a collection on FerretDB v1 (by user id, no index there) and may
 * delete many documents, so a regular activity with minutes of room; idempotent, so retried like a store write.
 */
export const FORGET_USER_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: STORE_RETRY,
};
