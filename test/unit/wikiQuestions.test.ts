/**
 * Keeps the retrieval question sets (test/fixtures/wiki/questions.ts) honest: every question points at an
 * article the fixture wiki has, the paraphrased set never names its answer page and shares only a few
 * ordinary words with it, and the no-shared-word stress set really avoids its answer article's words, so
 * both keep measuring meaning rather than word matching when someone edits them or the articles.
 */
import { articles, MAIN_PAGE, type FixtureArticle } from '../fixtures/wiki/articles';
import {
  noSharedWordQuestions,
  paraphrasedQuestions,
  questions,
  type WikiQuestion,
} from '../fixtures/wiki/questions';

/** Most a stress-set question may share with its answer article (after the normalisation below). */
const MAX_SHARED_WORDS_NO_SHARED = 1;

/** Most a paraphrased question may share with its answer article: everyday words like "voice" or "son". */
const MAX_SHARED_WORDS_PARAPHRASED = 3;

const STOPWORDS = new Set(
  `about above after again all also and any are because been before being both but can could did does doing
  doesn didn down during each every for from had has have having her here hers him his how into isn its just
  more most much not now off once only other our out over own same she should some such than that the their
  them then there these they this those through too under until very was wasn were what when where which while
  who whom whose why will with won would you your yours`.split(/\s+/),
);

/** A light stemmer: a plural or verb ending off, then a final y becomes i, a final e and a doubled final
 * letter go, so "fights"/"fighting" meet "fight", "enemies" meets "enemy" and "chase"/"chases"/"chasing"
 * all become "chas". */
function stem(word: string): string {
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}i`;
  else if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith('es') && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith('y') && w.length > 3) w = `${w.slice(0, -1)}i`;
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  if (w.length > 3 && w.at(-1) === w.at(-2)) w = w.slice(0, -1);
  return w;
}

/** Lowercased, split on non-letters (so a possessive "'s" falls away), short words and stopwords
 * dropped, stemmed. */
function contentWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const token of text.toLowerCase().split(/[^\p{L}]+/u)) {
    if (token.length >= 3 && !STOPWORDS.has(token)) words.add(stem(token));
  }
  return words;
}

/** What the crawler keeps of an article: title, infobox, lead, headings and section text (raw markup
 * included, so link targets count as the article's words too). Hatnote, gallery and categories are
 * page chrome and left out. */
function articleText(article: FixtureArticle): string {
  const parts = [article.title, article.lead];
  for (const [label, value] of [...(article.infobox ?? []), ...(article.infoboxHorizontal ?? [])]) {
    parts.push(label, value);
  }
  for (const section of article.sections) {
    parts.push(section.heading, section.text);
    for (const sub of section.subsections ?? []) parts.push(sub.heading, sub.text);
  }
  return parts.join('\n');
}

const byTitle = new Map(articles.map((article) => [article.title, article]));
const answerable = articles.filter((article) => article.title !== MAIN_PAGE).map((article) => article.title);

/** Articles (Main_Page excluded) with fewer than `min` questions in `set`. */
function articlesWithFewerThan(set: readonly WikiQuestion[], min: number): string[] {
  const counts = new Map<string, number>();
  for (const { article } of set) counts.set(article, (counts.get(article) ?? 0) + 1);
  return answerable.filter((title) => (counts.get(title) ?? 0) < min);
}

/** The content words `question` shares with its article's title and with its article's text. */
function sharedWords(title: string, question: string): { titleWords: string[]; articleWords: string[] } {
  const article = byTitle.get(title);
  if (!article) throw new Error(`no article ${title}`);
  const inArticle = contentWords(articleText(article));
  const inTitle = contentWords(article.title.replace(/_/g, ' '));
  const words = [...contentWords(question)];
  return {
    titleWords: words.filter((word) => inTitle.has(word)),
    articleWords: words.filter((word) => inArticle.has(word)),
  };
}

describe('wiki question sets', () => {
  it('point only at articles the fixture wiki has, never the main page', () => {
    for (const { article } of [...questions, ...paraphrasedQuestions, ...noSharedWordQuestions]) {
      expect(answerable).toContain(article);
    }
  });

  it('hold no question twice, across all three sets', () => {
    const all = [...questions, ...paraphrasedQuestions, ...noSharedWordQuestions].map(({ question }) =>
      question
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim(),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  it('has at least 70 paraphrased questions, at least 2 for every article', () => {
    expect(paraphrasedQuestions.length).toBeGreaterThanOrEqual(70);
    expect(articlesWithFewerThan(paraphrasedQuestions, 2)).toEqual([]);
  });

  it('has at least 66 stress-set questions, at least 2 for every article', () => {
    expect(noSharedWordQuestions.length).toBeGreaterThanOrEqual(66);
    expect(articlesWithFewerThan(noSharedWordQuestions, 2)).toEqual([]);
  });

  it('has normalisation that does what the paraphrase check relies on', () => {
    expect([...contentWords("Peter's fights, fighting and the dog's books")]).toEqual([
      'peter',
      'fight',
      'dog',
      'book',
    ]);
    expect(stem('chases')).toBe(stem('chase'));
    expect(stem('chasing')).toBe(stem('chased'));
    expect(stem('enemies')).toBe(stem('enemy'));
    expect(stem('killing')).toBe(stem('kill'));
  });

  const wordRules: Array<[string, readonly WikiQuestion[], number]> = [
    ['paraphrased', paraphrasedQuestions, MAX_SHARED_WORDS_PARAPHRASED],
    ['no shared word', noSharedWordQuestions, MAX_SHARED_WORDS_NO_SHARED],
  ];
  it.each(
    wordRules.flatMap(([set, questions, most]) =>
      questions.map((q) => [set, q.article, q.question, most] as const),
    ),
  )('%s, for %s: %s', (_set, title, question, most) => {
    const { titleWords, articleWords } = sharedWords(title, question);
    expect(titleWords).toEqual([]);
    expect(articleWords.length).toBeLessThanOrEqual(most);
  });
});
