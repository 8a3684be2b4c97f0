import { capPerArticle, reciprocalRankFusion, RRF_K } from '../../src/knowledge/fusion';
import { indexTerms, normaliseTerm } from '../../src/knowledge/lexicalIndex';

describe('reciprocal rank fusion', () => {
  it('puts what both methods rank well above what one ranks first', () => {
    const dense = ['both', 'denseOnly', 'other'];
    const lexical = ['lexicalOnly', 'both'];
    const fused = reciprocalRankFusion([
      { ids: dense, weight: 1 },
      { ids: lexical, weight: 1 },
    ]);
    expect(fused.map((hit) => hit.id)).toEqual(['both', 'lexicalOnly', 'denseOnly', 'other']);
    expect(fused[0]?.fused).toBeCloseTo(1 / (RRF_K + 1) + 1 / (RRF_K + 2));
  });

  it('keeps a single ranking as it is, and fuses nothing to nothing', () => {
    const one = reciprocalRankFusion([
      { ids: ['a', 'b', 'c'], weight: 1 },
      { ids: [], weight: 1 },
    ]);
    expect(one.map((hit) => hit.id)).toEqual(['a', 'b', 'c']);
    expect(reciprocalRankFusion([])).toEqual([]);
  });

  it('lets a lighter ranking only break near-ties of the heavier one', () => {
    const fused = reciprocalRankFusion([
      { ids: ['a', 'b'], weight: 1 },
      { ids: ['b'], weight: 0.01 },
    ]);
    expect(fused.map((hit) => hit.id)).toEqual(['a', 'b']);
  });
});

describe('at most one or two chunks per article', () => {
  const hit = (title: string, n: number) => ({ id: `${title}#${n}`, title, source_url: `/wiki/${title}` });
  const big = [hit('Peter Griffin', 0), hit('Peter Griffin', 1), hit('Peter Griffin', 2)];
  const ranked = [...big, hit('Ernie the Giant Chicken', 0), hit('Death', 0), hit('Death', 1)];
  const cap = { perArticle: 1, perNamedArticle: 2 };

  it('keeps one chunk per article, so one long page cannot fill every slot', () => {
    const kept = capPerArticle(ranked, 'why does he fight the big bird?', 3, cap);
    expect(kept.map((h) => h.id)).toEqual(['Peter Griffin#0', 'Ernie the Giant Chicken#0', 'Death#0']);
  });

  it('keeps two chunks of the article the question names, in their order', () => {
    const kept = capPerArticle(ranked, "What was Peter Griffin's childhood like?", 3, cap);
    expect(kept.map((h) => h.id)).toEqual([
      'Peter Griffin#0',
      'Peter Griffin#1',
      'Ernie the Giant Chicken#0',
    ]);
  });

  it('ignores a parenthesised qualifier of a title and returns fewer when candidates run out', () => {
    const gag = [hit('Roadhouse (gag)', 0), hit('Roadhouse (gag)', 1)];
    expect(capPerArticle(gag, 'the roadhouse thing', 3, cap)).toHaveLength(2);
    expect(capPerArticle(gag, 'kicking things', 3, cap)).toHaveLength(1);
  });
});

describe('lexical terms', () => {
  it('drops stopwords, possessives and plural s, and lowercases', () => {
    expect(indexTerms("What are Stewie's weapons and gadgets?")).toEqual(['stewie', 'weapon', 'gadget']);
    expect(normaliseTerm('the')).toBeNull();
    expect(normaliseTerm('glass')).toBe('glass');
  });
});
