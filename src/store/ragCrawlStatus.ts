import type { Collection, Db } from 'mongodb';
import { createIndexes } from './indexes';

export type CrawlStatus = 'IN_PROGRESS' | 'SUCCESS' | 'FAILED';

/** State of one knowledge-base crawl, as in the design document's `rag_crawl_status`. */
export interface RagCrawlStatusEntry {
  crawl_id: string;
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
    await createIndexes(this.collection, [
      { key: { crawl_id: 1 }, name: 'crawl_id', unique: true },
      { key: { last_crawl_timestamp: -1 }, name: 'recent' },
    ]);
  }
}
