import { randomUUID } from 'node:crypto';
import type { Collection } from 'chromadb';
import {
  chromaClient,
  deletePageChunks,
  openWikiCollection,
  upsertPageChunks,
} from '../../src/knowledge/chromaChunks';
import { createLexicalIndex, type LexicalIndex } from '../../src/knowledge/lexicalIndex';

const CHROMA_URL = process.env.CHROMA_URL as string;
const REFRESH_MS = 200;
let name: string;
let collection: Collection;

beforeEach(async () => {
  name = `test_lexical_${randomUUID().slice(0, 8)}`;
  collection = await openWikiCollection(CHROMA_URL, { dimensions: 2, name });
});

afterEach(async () => {
  await chromaClient(CHROMA_URL).deleteCollection({ name });
});

const url = (title: string) => `http://127.0.0.1:1/wiki/${title}`;

/** Writes a page as the crawler would (the vectors do not matter to the lexical index). */
async function writePage(title: string, texts: string[]): Promise<void> {
  await upsertPageChunks(collection, {
    url: url(title),
    title: title.replace(/_/g, ' '),
    crawlId: 'test',
    chunks: texts.map((text, index) => ({ text, section: null, index })),
    embeddings: texts.map(() => [1, 0]),
  });
}

const titlesFor = async (index: LexicalIndex, query: string) =>
  (await index.search(query, 5)).map((hit) => hit.title);
const afterRefresh = () => new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 50));

describe('the lexical index', () => {
  it('ranks chunks by the rare words of the question, and says which page each is from', async () => {
    await writePage('Consuela', ['Consuela the maid always asks for more Lemon Pledge.']);
    await writePage('Peter_Griffin', ['Peter works at the brewery and fights a chicken.']);
    await writePage('Rupert', ["Rupert is Stewie's teddy bear."]);
    const index = createLexicalIndex({
      collection: async () => collection,
      refreshMs: REFRESH_MS,
      maxWaitMs: 5000,
    });

    const hits = await index.search('who wants lemon pledge all the time?', 5);
    expect(hits.map((hit) => hit.title)).toEqual(['Consuela']);
    expect(hits[0]).toMatchObject({ source_url: url('Consuela'), section: null });
    expect(hits[0]?.text).toContain('Lemon Pledge');
    expect(await titlesFor(index, 'the the a of')).toEqual([]);
  });

  it('catches up with pages another process writes, rewrites and deletes', async () => {
    await writePage('Peter_Griffin', ['Peter works at the brewery.']);
    const index = createLexicalIndex({
      collection: async () => collection,
      refreshMs: REFRESH_MS,
      maxWaitMs: 5000,
    });
    expect(await titlesFor(index, 'brewery')).toEqual(['Peter Griffin']);

    await writePage('Bruce', ['Bruce says oh no with his moustache.', 'He runs many odd jobs.']);
    await afterRefresh();
    expect(await titlesFor(index, 'moustache')).toEqual(['Bruce']);

    // Rewritten shorter: the old words are gone with the old chunk, the new ones found.
    await writePage('Bruce', ['Bruce has a partner named Craig.']);
    await afterRefresh();
    expect(await titlesFor(index, 'moustache jobs')).toEqual([]);
    expect(await titlesFor(index, 'Craig')).toEqual(['Bruce']);

    await deletePageChunks(collection, url('Bruce'));
    await afterRefresh();
    expect(await titlesFor(index, 'Craig')).toEqual([]);
    expect(await titlesFor(index, 'brewery')).toEqual(['Peter Griffin']);
  });

  it('never keeps a search waiting longer than maxWaitMs for a build, and has the results once it is done', async () => {
    await writePage('Consuela', ['Consuela the maid always asks for more Lemon Pledge.']);
    let release: () => void = () => undefined;
    const slowChroma = new Promise<void>((resolve) => (release = resolve));
    const index = createLexicalIndex({
      collection: async () => (await slowChroma, collection),
      refreshMs: REFRESH_MS,
      maxWaitMs: 100,
    });
    // Were the search waiting for the build, it would never end: the build waits for release().
    expect(await titlesFor(index, 'lemon pledge')).toEqual([]);
    release();
    await index.warm();
    expect(await titlesFor(index, 'lemon pledge')).toEqual(['Consuela']);
  });

  it('does not ask Chroma again within the refresh interval', async () => {
    await writePage('Peter_Griffin', ['Peter works at the brewery.']);
    const index = createLexicalIndex({
      collection: async () => collection,
      refreshMs: 60_000,
      maxWaitMs: 5000,
    });
    expect(await titlesFor(index, 'brewery')).toEqual(['Peter Griffin']);
    await writePage('Bruce', ['Bruce says oh no with his moustache.']);
    expect(await titlesFor(index, 'moustache')).toEqual([]);
  });
});
