import { createHash } from 'node:crypto';
import { titleFromUrl } from '../knowledge/wikiUrls';
import type { DeadLetter } from '../store/deadLetterQueue';
import {
  WIKI_CRAWL_WORKFLOW_TYPE,
  wikiCrawlWorkflowId,
  type WikiCrawlInput,
} from '../workflows/contracts/wikiCrawl';

export interface ReplayPlan {
  workflowType: string;
  /**
   * Derived from the entry, so two admins replaying the same entry start one workflow
   * (Temporal refuses a second start of the same id).
   */
  workflowId: string;
  args: unknown[];
}

/**
 * How to run a dead-lettered step again. A reply, organic conversation or optimiser run
 * starts its workflow again with the original input (its MongoDB steps are idempotent;
 * the replay is a new response). A crawl page becomes a one-page crawl of that page.
 */
export function replayPlan(entry: DeadLetter): ReplayPlan {
  if (entry.workflow_type === WIKI_CRAWL_WORKFLOW_TYPE) {
    const { crawlId, url, baseUrl } = entry.failed_event_payload as {
      crawlId?: string;
      url?: string;
      baseUrl?: string;
    };
    const title = url ? titleFromUrl(url) : null;
    if (!crawlId || !url || !title) throw new Error(`dead letter ${entry._id}: no page URL to crawl again`);
    const replayCrawlId = `${crawlId}-replay-${createHash('sha1').update(entry._id).digest('hex').slice(0, 8)}`;
    const input: WikiCrawlInput = {
      crawlId: replayCrawlId,
      baseUrl: baseUrl ?? new URL(url).origin,
      maxPages: 1,
      delayMs: 0,
      seedTitles: [title],
    };
    return {
      workflowType: WIKI_CRAWL_WORKFLOW_TYPE,
      workflowId: wikiCrawlWorkflowId(replayCrawlId),
      args: [input],
    };
  }
  return {
    workflowType: entry.workflow_type,
    workflowId: `${entry.workflow_id}-replay`,
    args: [entry.failed_event_payload],
  };
}
