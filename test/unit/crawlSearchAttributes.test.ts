import path from 'node:path';
import type { Client } from '@temporalio/client';
import { crawlSearchAttributesRegistered } from '../../src/admin/crawlRoutes';
import { readSearchAttributes, searchAttributesFile } from '../../src/stack/searchAttributes';
import { CRAWL_SEARCH_ATTRIBUTES } from '../../src/workflows/contracts/wikiCrawl';

const repoRoot = path.join(__dirname, '..', '..');
/** The `temporal` CLI's type names -> the SDK's. */
const SDK_TYPE: Record<string, string> = {
  Text: 'TEXT',
  Keyword: 'KEYWORD',
  Int: 'INT',
  Double: 'DOUBLE',
  Bool: 'BOOL',
  Datetime: 'DATETIME',
  KeywordList: 'KEYWORD_LIST',
};

describe('search attributes', () => {
  it('temporal/search-attributes.txt registers every key the crawl upserts, with its type', () => {
    const registered = readSearchAttributes(searchAttributesFile(repoRoot));
    expect(registered).toMatchObject({
      CrawlStatus: 'Keyword',
      CrawlPagesDone: 'Int',
      CharacterName: 'Keyword',
    });
    for (const key of Object.values(CRAWL_SEARCH_ATTRIBUTES)) {
      expect([key.name, SDK_TYPE[registered[key.name] ?? '']]).toEqual([key.name, key.type]);
    }
  });

  it.each([
    ['registered with their types', { CrawlStatus: 2, CrawlPagesDone: 3, CharacterName: 2 }, true],
    ['missing (a cluster without temporal/setup.sh)', {}, false],
    ['registered with another type', { CrawlStatus: 1, CrawlPagesDone: 3 }, false],
  ])('the admin API sets them on a crawl only when %s', async (_, customAttributes, expected) => {
    const client = {
      options: { namespace: 'fg' },
      connection: {
        operatorService: {
          listSearchAttributes: async ({ namespace }: { namespace: string }) => {
            expect(namespace).toBe('fg');
            return { customAttributes };
          },
        },
      },
    } as unknown as Client;
    expect(await crawlSearchAttributesRegistered(client)).toBe(expected);
  });

  it('does not set them when it cannot tell', async () => {
    const client = {
      options: { namespace: 'fg' },
      connection: {
        operatorService: {
          listSearchAttributes: async () => {
            throw new Error('PermissionDenied');
          },
        },
      },
    } as unknown as Client;
    expect(await crawlSearchAttributesRegistered(client)).toBe(false);
  });
});
