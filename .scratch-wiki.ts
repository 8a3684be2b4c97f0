import { startFixtureWiki } from './test/fakes/fixtureWiki';
import { parseArticle } from './src/knowledge/wikiPage';
import { chunkArticle } from './src/knowledge/chunking';
import { createMiniLmEmbedder } from './src/knowledge/embedder';
import { questions } from './test/fixtures/wiki/questions';
(async () => {
  const wiki = await startFixtureWiki({ failTimes: {} });
  const emb = await createMiniLmEmbedder({ modelDir: '/root/.cache/family-guy-bots/tools/models/all-MiniLM-L6-v2-0.1.0-x1' });
  const pages: Array<{ title: string; url: string; sections: any[]; pageTitle: string }> = [];
  for (const t of wiki.articleTitles) {
    const res = await fetch(wiki.pageUrl(t));
    const p = parseArticle(await res.text(), res.url);
    pages.push({ title: t, url: res.url, sections: p.sections, pageTitle: p.title });
  }
  for (const withTitle of [false, true]) {
    const chunks: Array<{ article: string; text: string }> = [];
    for (const p of pages) for (const c of chunkArticle(p.sections, withTitle ? { title: p.pageTitle } : {})) chunks.push({ article: p.title, text: c.text });
    const vecs = await emb.embed(chunks.map((c) => c.text));
    const qv = await emb.embed(questions.map((q) => q.question));
    let hits = 0; const misses: string[] = [];
    questions.forEach((q, i) => {
      const scored = vecs.map((v, j) => ({ j, s: v.reduce((a, x, k) => a + x * (qv[i] as number[])[k]!, 0) })).sort((a, b) => b.s - a.s).slice(0, 3);
      const arts = scored.map((x) => chunks[x.j]!.article);
      if (arts.includes(q.article)) hits++; else misses.push(`${q.question} -> ${arts.join(', ')} (${scored.map((x) => x.s.toFixed(2)).join(',')})`);
    });
    console.log(`withTitle=${withTitle} chunks=${chunks.length} hits ${hits}/${questions.length}`);
    for (const m of misses) console.log('  MISS', m);
  }
  await wiki.close();
})();
