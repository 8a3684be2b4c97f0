import { articles } from '../fixtures/wiki/articles';
import { fixtureArticlesByTitle, renderArticlePage } from '../fixtures/wiki/render';
import {
  chunkArticle,
  mergeTinySections,
  splitText,
  type ChunkableSection,
} from '../../src/knowledge/chunking';
import { parseArticle } from '../../src/knowledge/wikiPage';

/** Deterministic prose: numbered sentences of varying length, so every piece of it is recognisable. */
function prose(sentences: number, from = 1): string {
  const words = [
    'chicken',
    'brewery',
    'Quahog',
    'martini',
    'closet',
    'Spooner',
    'Street',
    'giggity',
    'Clam',
    'Rupert',
  ];
  return Array.from({ length: sentences }, (_, i) => {
    const n = from + i;
    const body = Array.from({ length: 6 + ((n * 7) % 11) }, (__, j) => words[(n + j) % words.length]).join(
      ' ',
    );
    return `Sentence ${n} says ${body}.`;
  }).join(' ');
}

/** Chunk text without its header line. */
const body = (text: string, header: string | null) => (header ? text.slice(header.length + 1) : text);

describe('splitText', () => {
  it.each([
    [5000, 1000, 200],
    [5000, 300, 50],
    [2500, 1000, 0],
    [1001, 1000, 200],
    [12000, 500, 499],
  ])('covers %i characters in pieces of <= %i overlapping by <= %i', (length, size, overlap) => {
    const text = prose(400).slice(0, length);
    const ranges = splitText(text, size, overlap);
    expect(ranges[0]?.start).toBe(0);
    expect(ranges.at(-1)?.end).toBe(text.length);
    ranges.forEach((range, i) => {
      expect(range.end - range.start).toBeLessThanOrEqual(size);
      expect(range.end).toBeGreaterThan(range.start);
      const previous = ranges[i - 1];
      if (previous) {
        expect(range.start).toBeGreaterThan(previous.start);
        expect(range.start).toBeLessThanOrEqual(previous.end); // no gap: nothing lost
        expect(previous.end - range.start).toBeLessThanOrEqual(overlap);
      }
    });
  });

  it('does not split short text', () => {
    expect(splitText('short', 1000, 200)).toEqual([{ start: 0, end: 5 }]);
    expect(splitText('', 1000, 200)).toEqual([{ start: 0, end: 0 }]);
  });

  it('cuts at sentence ends and restarts at sentence starts when it can', () => {
    const text = prose(100);
    const ranges = splitText(text, 1000, 200);
    expect(ranges.length).toBeGreaterThan(3);
    for (const { start, end } of ranges.slice(0, -1)) {
      expect(text.slice(start, end)).toMatch(/^Sentence \d+ says .*\.$/);
    }
    for (const { start } of ranges.slice(1)) expect(text.slice(start)).toMatch(/^Sentence \d+ says/);
  });

  it('prefers a paragraph end to a sentence end', () => {
    const text = `${prose(8)}\n${prose(20, 100)}`;
    const [first] = splitText(text, 1000, 200);
    expect(text.slice(first?.start, first?.end)).toBe(prose(8));
  });

  it('cuts text without spaces at the size', () => {
    const text = 'x'.repeat(2500);
    expect(splitText(text, 1000, 200)).toEqual([
      { start: 0, end: 1000 },
      { start: 800, end: 1800 },
      { start: 1600, end: 2500 },
    ]);
  });
});

describe('chunkArticle', () => {
  const long: ChunkableSection[] = [
    { heading: null, text: prose(6) },
    { heading: 'Early life', text: `${prose(30, 10)}\n${prose(30, 40)}` },
    { heading: 'Feuds', text: prose(12, 80) },
  ];

  it('keeps chunks within size, indexes them 0..n-1 and names their section and article', () => {
    const chunks = chunkArticle(long, { title: 'Peter Griffin' });
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    for (const chunk of chunks) {
      const header = chunk.section ? `Peter Griffin — ${chunk.section}` : 'Peter Griffin';
      expect(chunk.text.startsWith(`${header}\n`)).toBe(true);
      expect(body(chunk.text, header).length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.filter((c) => c.section === 'Early life').length).toBeGreaterThan(2);
  });

  it('never mixes sections that do not fit together, and loses no sentence', () => {
    const chunks = chunkArticle(long);
    for (const section of long) {
      const own = chunks.filter((c) => c.section === section.heading);
      const sentences = section.text.split(/(?<=\.)\s+/);
      for (const sentence of sentences) expect(own.some((c) => c.text.includes(sentence))).toBe(true);
    }
    // Early life's chunks hold nothing of Feuds.
    for (const chunk of chunks.filter((c) => c.section === 'Early life'))
      expect(chunk.text).not.toMatch(/Sentence 8\d says/);
  });

  it('overlaps consecutive pieces of a section by at most `overlap`, starting at a sentence', () => {
    const chunks = chunkArticle([{ heading: 'Early life', text: prose(60, 10) }], {
      size: 600,
      overlap: 150,
    });
    for (let i = 1; i < chunks.length; i++) {
      const previous = body(chunks[i - 1]?.text ?? '', 'Early life');
      const current = body(chunks[i]?.text ?? '', 'Early life');
      expect(current).toMatch(/^Sentence \d+ says/);
      // The longest head of this piece that ends the previous piece.
      let shared = 0;
      for (let k = Math.min(previous.length, current.length); k > 0; k--) {
        if (previous.endsWith(current.slice(0, k))) {
          shared = k;
          break;
        }
      }
      expect(shared).toBeLessThanOrEqual(150);
    }
  });

  it('is deterministic', () => {
    expect(chunkArticle(long, { title: 'Peter Griffin' })).toEqual(
      chunkArticle(long, { title: 'Peter Griffin' }),
    );
  });

  it('merges tiny sections forward under the first heading while they fit, a tiny last one backward', () => {
    const tiny: ChunkableSection[] = [
      { heading: null, text: 'Short lead.' },
      { heading: 'Infobox', text: 'Gender: Male\nVoiced by: Seth MacFarlane' },
    ];
    const trivia = { heading: 'Trivia', text: 'He likes beer.' };
    const tinyText = 'Short lead.\nInfobox\nGender: Male\nVoiced by: Seth MacFarlane';

    // Everything fits in one chunk: one chunk, under the first heading (the lead's: null).
    const fits = chunkArticle([...tiny, { heading: 'Personality', text: prose(5) }, trivia], {
      title: 'Peter Griffin',
    });
    expect(fits.map((c) => [c.section, c.text])).toEqual([
      [null, `Peter Griffin\n${tinyText}\nPersonality\n${prose(5)}\nTrivia\nHe likes beer.`],
    ]);

    // A long section stays on its own (and is split); the tiny ones before it stay together, and a tiny
    // last section that does not fit with it either stays alone.
    const split = chunkArticle([...tiny, { heading: 'Personality', text: prose(10) }, trivia]);
    expect(split.map((c) => c.section)).toEqual([null, 'Personality', 'Personality', 'Trivia']);
    expect(split[0]?.text).toBe(tinyText);

    // A tiny last section joins the one before it when that fits.
    const back = chunkArticle([{ heading: 'Personality', text: prose(8) }, trivia]);
    expect(back.map((c) => [c.section, c.text])).toEqual([
      ['Personality', `Personality\n${prose(8)}\nTrivia\nHe likes beer.`],
    ]);
  });

  it('does not merge sections that are long enough on their own', () => {
    const sections = [
      { heading: 'A', text: prose(4) },
      { heading: 'B', text: prose(4, 10) },
    ];
    expect(mergeTinySections(sections, 1000, 100)).toEqual(sections);
    expect(chunkArticle(sections, { minSection: 100 }).map((c) => c.section)).toEqual(['A', 'B']);
  });

  it('skips empty sections and gives nothing for an empty article', () => {
    expect(chunkArticle([])).toEqual([]);
    expect(chunkArticle([{ heading: 'Empty', text: '  \n ' }])).toEqual([]);
  });

  it('refuses sizes and overlaps that cannot work', () => {
    expect(() => chunkArticle(long, { size: 0 })).toThrow(/size/);
    expect(() => chunkArticle(long, { size: 100, overlap: 100 })).toThrow(/overlap/);
    expect(() => chunkArticle(long, { overlap: -1 })).toThrow(/overlap/);
  });

  it('chunks every fixture article into a few chunks, all of its words kept', () => {
    for (const { title } of articles) {
      const html = renderArticlePage(fixtureArticlesByTitle.get(title) as (typeof articles)[number], {
        origin: 'http://127.0.0.1:1',
      });
      const page = parseArticle(html, `http://127.0.0.1:1/wiki/${title}`);
      const chunks = chunkArticle(page.sections, { title: page.title });
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.length).toBeLessThanOrEqual(8);
      const chunkWords = new Set(chunks.flatMap((c) => c.text.split(/\s+/)));
      for (const word of page.sections.flatMap((s) => s.text.split(/\s+/)))
        expect(chunkWords).toContain(word);
    }
  });
});
