import { capPerArticle, reciprocalRankFusion, RRF_K } from '../../src/knowledge/fusion';
import { indexTerms, normaliseTerm } from '../../src/knowledge/lexicalIndex';

describe('reciprocal rank fusion', () => {
  const ids = (ranked: Array<{ hit: string }>) => ranked.map((c) => c.hit);

  it('puts what both methods rank well above what one ranks first', () => {
    const fused = reciprocalRankFusion([
      { hit: 'denseOnly', denseRank: 2 },
      { hit: 'other', denseRank: 3 },
      { hit: 'lexicalOnly', lexicalRank: 1 },
      { hit: 'both', denseRank: 1, lexicalRank: 2 },
    ]);
    expect(ids(fused)).toEqual(['both', 'lexicalOnly', 'denseOnly', 'other']);
  });

  it('keeps a single ranking in its order, whichever method made it', () => {
    expect(
      ids(reciprocalRankFusion([3, 1, 2].map((rank) => ({ hit: `d${rank}`, denseRank: rank })))),
    ).toEqual(['d1', 'd2', 'd3']);
    expect(ids(reciprocalRankFusion([2, 1].map((rank) => ({ hit: `l${rank}`, lexicalRank: rank }))))).toEqual(
      ['l1', 'l2'],
    );
    expect(reciprocalRankFusion([])).toEqual([]);
  });

  it('scores rank r as 1 / (RRF_K + r), so far-down ranks still add up', () => {
    // 1/(K+1) < 1/(K+5) + 1/(K+5) for K = 60: two mid ranks beat one first place.
    const fused = reciprocalRankFusion([
      { hit: 'first', denseRank: 1 },
      { hit: 'twiceFifth', denseRank: 5, lexicalRank: 5 },
    ]);
    expect(RRF_K).toBe(60);
    expect(ids(fused)).toEqual(['twiceFifth', 'first']);
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
