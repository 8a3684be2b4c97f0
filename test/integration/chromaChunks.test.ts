import { randomUUID } from 'node:crypto';
import type { Collection } from 'chromadb';
import {
  chromaClient,
  chunkId,
  countChunks,
  deletePageChunks,
  openWikiCollection,
  queryChunks,
  upsertPageChunks,
  type PageChunk,
} from '../../src/knowledge/chromaChunks';

const CHROMA_URL = process.env.CHROMA_URL as string;
const DIMENSIONS = 4;
const names: string[] = [];
let collection: Collection;

/** A fresh collection per test: the tests never see each other's chunks. */
async function freshCollection(): Promise<Collection> {
  const name = `test_wiki_${randomUUID().slice(0, 8)}`;
  names.push(name);
  return openWikiCollection(CHROMA_URL, { dimensions: DIMENSIONS, name });
}

beforeEach(async () => {
  collection = await freshCollection();
});

afterAll(async () => {
  const client = chromaClient(CHROMA_URL);
  for (const name of names) await client.deleteCollection({ name }).catch(() => undefined);
});

const PETER = 'http://127.0.0.1:1/wiki/Peter_Griffin';
const LOIS = 'http://127.0.0.1:1/wiki/Lois_Griffin';

const chunks = (page: string, count: number, version = 'v1'): PageChunk[] =>
  Array.from({ length: count }, (_, index) => ({
    text: `${page} chunk ${index} (${version})`,
    section: index === 0 ? null : `Section ${index}`,
    index,
  }));
/** Unit vectors along distinct axes (the 4th axis shared), so similarities are known exactly. */
const axis = (i: number): number[] =>
  Array.from({ length: DIMENSIONS }, (_, j) => (j === i % DIMENSIONS ? 1 : 0));

const pageChunks = async (url: string) => {
  const got = await collection.get({ where: { source_url: url }, include: ['documents', 'metadatas'] });
  return got.ids
    .map((id, i) => ({ id, text: got.documents[i], metadata: got.metadatas[i] }))
    .sort((a, b) => Number(a.metadata?.chunk_index) - Number(b.metadata?.chunk_index));
};

describe('openWikiCollection', () => {
  it('makes a cosine collection recording the embedding size, and opens it again', async () => {
    expect(collection.configuration.hnsw?.space).toBe('cosine');
    expect(collection.metadata).toMatchObject({ embedding_dimensions: DIMENSIONS });
    const again = await openWikiCollection(CHROMA_URL, { dimensions: DIMENSIONS, name: collection.name });
    expect(again.id).toBe(collection.id);
  });

  it('refuses a collection made for another embedding size or model', async () => {
    await expect(openWikiCollection(CHROMA_URL, { dimensions: 384, name: collection.name })).rejects.toThrow(
      /holds 4-dimensional embeddings, not 384/,
    );
    const name = `test_wiki_${randomUUID().slice(0, 8)}`;
    names.push(name);
    await openWikiCollection(CHROMA_URL, { dimensions: DIMENSIONS, name, model: 'all-MiniLM-L6-v2' });
    await expect(
      openWikiCollection(CHROMA_URL, { dimensions: DIMENSIONS, name, model: 'other-model' }),
    ).rejects.toThrow(/embedded with all-MiniLM-L6-v2, not other-model/);
  });

  it('refuses a collection in another distance space', async () => {
    const name = `test_wiki_${randomUUID().slice(0, 8)}`;
    names.push(name);
    await chromaClient(CHROMA_URL).createCollection({ name, embeddingFunction: null });
    await expect(openWikiCollection(CHROMA_URL, { dimensions: DIMENSIONS, name })).rejects.toThrow(
      /uses l2 distance/,
    );
  });
});

describe('upsertPageChunks', () => {
  const upsert = (url: string, count: number, version = 'v1', crawlId = 'crawl-1') =>
    upsertPageChunks(collection, {
      url,
      title: url.endsWith('Peter_Griffin') ? 'Peter Griffin' : 'Lois Griffin',
      crawlId,
      chunks: chunks(url, count, version),
      embeddings: Array.from({ length: count }, (_, i) => axis(i)),
    });

  it('replaces a page in place: upserting it twice leaves the same count and ids', async () => {
    expect(await upsert(PETER, 3)).toBe(3);
    const first = await pageChunks(PETER);
    expect(await upsert(PETER, 3, 'v2', 'crawl-2')).toBe(3);
    expect(await countChunks(collection)).toBe(3);
    const second = await pageChunks(PETER);
    expect(second.map((c) => c.id)).toEqual(first.map((c) => c.id));
    expect(second.map((c) => c.id)).toEqual([0, 1, 2].map((i) => chunkId(PETER, i)));
    expect(second.map((c) => c.text)).toEqual([0, 1, 2].map((i) => `${PETER} chunk ${i} (v2)`));
    expect(second[1]?.metadata).toEqual({
      source_url: PETER,
      title: 'Peter Griffin',
      section: 'Section 1',
      chunk_index: 1,
      crawl_id: 'crawl-2',
      indexed_at: expect.any(Number) as number,
    });
    // The rewrite is stamped again: other processes' lexical indexes catch up from indexed_at.
    const stamp = (chunk: (typeof first)[number] | undefined) => Number(chunk?.metadata?.indexed_at);
    expect(stamp(second[1])).toBeGreaterThanOrEqual(stamp(first[1]));
    expect(stamp(first[1])).toBeGreaterThan(Date.now() - 60_000);
  });

  it('deletes the chunks past the new count when a page shrinks, and all of them when it is empty', async () => {
    await upsert(PETER, 5);
    await upsert(PETER, 2, 'v2');
    expect(await countChunks(collection)).toBe(2);
    expect((await pageChunks(PETER)).map((c) => c.text)).toEqual([
      `${PETER} chunk 0 (v2)`,
      `${PETER} chunk 1 (v2)`,
    ]);
    await upsert(PETER, 0);
    expect(await countChunks(collection)).toBe(0);
  });

  it("leaves other pages' chunks alone", async () => {
    await upsert(PETER, 4);
    await upsert(LOIS, 2);
    await upsert(PETER, 1, 'v2');
    expect(await countChunks(collection)).toBe(3);
    expect((await pageChunks(LOIS)).map((c) => c.text)).toEqual([
      `${LOIS} chunk 0 (v1)`,
      `${LOIS} chunk 1 (v1)`,
    ]);
    await deletePageChunks(collection, PETER);
    expect(await countChunks(collection)).toBe(2);
  });

  it('refuses mismatched input before writing anything', async () => {
    const base = { url: PETER, title: 'Peter Griffin', crawlId: 'c' };
    await expect(
      upsertPageChunks(collection, { ...base, chunks: chunks(PETER, 2), embeddings: [axis(0)] }),
    ).rejects.toThrow(/2 chunks but 1 embeddings/);
    await expect(
      upsertPageChunks(collection, { ...base, chunks: chunks(PETER, 1), embeddings: [[1, 0, 0]] }),
    ).rejects.toThrow(/3 dimensions, the collection 4/);
    await expect(
      upsertPageChunks(collection, {
        ...base,
        chunks: chunks(PETER, 1),
        embeddings: [[1, 0, 0, Number.NaN]],
      }),
    ).rejects.toThrow(/not all finite/);
    const gap = [
      { text: 'a', section: null, index: 0 },
      { text: 'b', section: null, index: 2 },
    ];
    await expect(
      upsertPageChunks(collection, { ...base, chunks: gap, embeddings: [axis(0), axis(1)] }),
    ).rejects.toThrow(/indexes must be 0..n-1/);
    expect(await countChunks(collection)).toBe(0);
  });
});

describe('queryChunks', () => {
  it('returns the nearest chunks best first with score = 1 - cosine distance, k at most', async () => {
    await upsertPageChunks(collection, {
      url: PETER,
      title: 'Peter Griffin',
      crawlId: 'c',
      chunks: chunks(PETER, 3),
      embeddings: [
        [1, 0, 0, 0],
        [0.6, 0.8, 0, 0],
        [0.28, 0, 0.96, 0],
      ],
    });
    await upsertPageChunks(collection, {
      url: LOIS,
      title: 'Lois Griffin',
      crawlId: 'c',
      chunks: chunks(LOIS, 1),
      embeddings: [[0, 2, 0, 0]], // not normalised: cosine does not care
    });

    const hits = await queryChunks(collection, [1, 0, 0, 0], { k: 3 });
    expect(hits.map((h) => [h.source_url, h.text])).toEqual([
      [PETER, `${PETER} chunk 0 (v1)`],
      [PETER, `${PETER} chunk 1 (v1)`],
      [PETER, `${PETER} chunk 2 (v1)`],
    ]);
    expect(hits.map((h) => h.score)).toEqual([
      expect.closeTo(1, 5),
      expect.closeTo(0.6, 5),
      expect.closeTo(0.28, 5),
    ]);
    expect(hits[0]).toMatchObject({ title: 'Peter Griffin', section: null });
    expect(hits[1]).toMatchObject({ section: 'Section 1' });

    const towardsLois = await queryChunks(collection, [0, 1, 0, 0], { k: 2 });
    expect(towardsLois.map((h) => [h.title, h.score])).toEqual([
      ['Lois Griffin', expect.closeTo(1, 5)],
      ['Peter Griffin', expect.closeTo(0.8, 5)],
    ]);
  });

  it('drops hits under minScore', async () => {
    await upsertPageChunks(collection, {
      url: PETER,
      title: 'Peter Griffin',
      crawlId: 'c',
      chunks: chunks(PETER, 3),
      embeddings: [
        [1, 0, 0, 0],
        [0.6, 0.8, 0, 0],
        [-1, 0, 0, 0],
      ],
    });
    const hits = await queryChunks(collection, [1, 0, 0, 0], { k: 3, minScore: 0.5 });
    expect(hits.map((h) => h.score)).toEqual([expect.closeTo(1, 5), expect.closeTo(0.6, 5)]);
    const all = await queryChunks(collection, [1, 0, 0, 0], { k: 10 });
    expect(all.at(-1)?.score).toBeCloseTo(-1, 5);
  });

  it('finds nothing in an empty collection, or for k = 0', async () => {
    expect(await queryChunks(collection, axis(0), { k: 3 })).toEqual([]);
    await upsertPageChunks(collection, {
      url: PETER,
      title: 'P',
      crawlId: 'c',
      chunks: chunks(PETER, 1),
      embeddings: [axis(0)],
    });
    expect(await queryChunks(collection, axis(0), { k: 0 })).toEqual([]);
  });
});
