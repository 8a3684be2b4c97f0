import type { Collection, Db } from 'mongodb';
import { createIndexes } from './indexes';

export type CrawlStatus = 'IN_PROGRESS' | 'SUCCESS' | 'FAILED';

/** State of one knowledge-base crawl, as in the design document's `rag_crawl_status`. */
export interface RagCrawlStatusEntry {
  /** The crawl id (the WikiCrawlWorkflow is `wiki-crawl-<id>`). */
  _id: string;
  last_crawl_timestamp: Date;
  pages_crawled: number;
  documents_added: number;
  status: CrawlStatus;
  error_message: string | null;
}

export class RagCrawlStatus {
  readonly collection: Collection<RagCrawlStatusEntry>;

  constructor(db: Db) {
    this.collection = db.collection<RagCrawlStatusEntry>('rag_crawl_status');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [{ key: { last_crawl_timestamp: -1 }, name: 'recent' }]);
  }

  /** Creates or updates a crawl's entry; `last_crawl_timestamp` is now. */
  async record(
    crawlId: string,
    update: Omit<RagCrawlStatusEntry, '_id' | 'last_crawl_timestamp'>,
  ): Promise<void> {
    await this.collection.updateOne(
      { _id: crawlId },
      { $set: { ...update, last_crawl_timestamp: new Date() } },
      { upsert: true },
    );
  }

  find(crawlId: string): Promise<RagCrawlStatusEntry | null> {
    return this.collection.findOne({ _id: crawlId });
  }

  /** The crawls last updated most recently first (a running crawl updates its entry as it goes). */
  recent(limit: number): Promise<RagCrawlStatusEntry[]> {
    return this.collection.find().sort({ last_crawl_timestamp: -1 }).limit(limit).toArray();
  }
}
