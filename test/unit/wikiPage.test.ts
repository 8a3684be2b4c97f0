import { articles, type FixtureArticle } from '../fixtures/wiki/articles';
import {
  fixtureArticlesByTitle,
  renderArticlePage,
  renderMissingPage,
  renderRedirectPage,
} from '../fixtures/wiki/render';
import { INFOBOX_HEADING, parseArticle, type ParsedArticle } from '../../src/knowledge/wikiPage';
import { normaliseArticleUrl } from '../../src/knowledge/wikiUrls';

const ORIGIN = 'http://127.0.0.1:8123';
const article = (title: string): FixtureArticle => fixtureArticlesByTitle.get(title) as FixtureArticle;
const parse = (title: string, style: 'legacy' | 'modern' = 'legacy'): ParsedArticle =>
  parseArticle(
    renderArticlePage(article(title), { origin: ORIGIN, headingStyle: style }),
    `${ORIGIN}/wiki/${title}`,
  );
const allText = (page: ParsedArticle) => page.sections.map((s) => s.text).join('\n');

describe('parseArticle on Fandom-shaped pages', () => {
  const peter = parse('Peter_Griffin');

  it('reads the title and keeps every h2 as a section heading, the lead first', () => {
    expect(peter.title).toBe('Peter Griffin');
    expect(peter.isMissing).toBe(false);
    expect(peter.redirectTo).toBeNull();
    expect(peter.sections.map((s) => s.heading)).toEqual([
      null,
      INFOBOX_HEADING,
      'Early life',
      'Personality',
      'Feuds',
      'Work',
    ]);
    expect(peter.sections[0]?.text).toMatch(/^Peter Löwenbräu Griffin is the bumbling/);
    expect(peter.sections[2]?.text).toContain('his biological father is Mickey McFinnigan');
  });

  it('keeps the infobox as "Label: value" lines', () => {
    expect(peter.sections[1]?.text.split('\n')).toEqual([
      'Full name: Peter Löwenbräu Griffin Sr.',
      'Gender: Male',
      'Occupation: Safety inspector at the Pawtucket Brewery',
      'Family: Lois (wife), Meg, Chris, Stewie (children)',
      'Voiced by: Seth MacFarlane',
      'First appearance: Death Has a Shadow',
      'Hair: Brown',
      'Eyes: Black',
    ]);
  });

  it('drops navigation, edit links, references, the table of contents, navbox, gallery and scripts', () => {
    const text = allText(peter);
    for (const chrome of [
      'edit',
      '[1]',
      'brand of German beer', // the footnote's text
      'References',
      'Contents',
      'Griffin family and friends', // navbox title
      'Peter in the first season', // gallery caption
      'Promotional image', // infobox image caption
      'Information', // infobox group header
      'Sign in',
      'Random page',
      'Popular pages',
      'Retrieved from',
      'Categories',
      'CC-BY-SA',
      'NewPP',
      'fandomAds',
      'client-js',
    ]) {
      expect(text).not.toContain(chrome);
    }
  });

  it('normalises whitespace: one paragraph per line, no stray spaces', () => {
    const personality = peter.sections.find((s) => s.heading === 'Personality')?.text ?? '';
    expect(personality.split('\n')).toHaveLength(3);
    for (const section of peter.sections) {
      for (const line of section.text.split('\n')) {
        expect(line).toBe(line.trim());
        expect(line).not.toMatch(/\s{2,}|\u00a0/);
        expect(line).not.toBe('');
      }
    }
    expect(personality).toContain('"this is worse than the time when..."');
  });

  it('lists the raw hrefs of the article body once each, chrome outside the body excluded', () => {
    expect(peter.links).toEqual(expect.arrayContaining(['/wiki/Giant_Chicken', '/wiki/Death#History']));
    expect(peter.links).toEqual(
      expect.arrayContaining([
        '/wiki/Pawtucket%20Brewery',
        '/wiki/Surfin%27_Bird',
        '#cite_note-1',
        '/wiki/Roadhouse_(gag)',
      ]),
    );
    expect(peter.links).toContain('/wiki/Peter_Griffin?action=edit&section=1'); // edit links are hrefs too
    expect(peter.links).toContain('/wiki/Template:Griffin_family'); // navbox
    expect(new Set(peter.links).size).toBe(peter.links.length);
    // Page header, community navigation, rail and footer are not the article body.
    for (const outside of [
      '/wiki/Talk:Peter_Griffin',
      '/wiki/Special:Random',
      '/wiki/Category:Characters',
      '/f',
    ]) {
      expect(peter.links).not.toContain(outside);
    }
    const articlesLinked = new Set(
      peter.links.map((href) => normaliseArticleUrl(href, `${ORIGIN}/wiki/Peter_Griffin`)),
    );
    for (const title of ['Giant_Chicken', 'Death', 'Pawtucket_Brewery', 'Surfin%27_Bird', 'Peter_Griffin']) {
      expect(articlesLinked).toContain(`${ORIGIN}/wiki/${title}`);
    }
  });

  it('reads MediaWiki 1.43 headings (div.mw-heading) the same way', () => {
    for (const { title } of articles) {
      expect(parse(title, 'modern').sections).toEqual(parse(title, 'legacy').sections);
    }
  });

  it('keeps data tables as rows and drops link-only navigation tables and hatnotes', () => {
    const episode = parse('Road_to_Rhode_Island');
    const roadTo = episode.sections.find((s) => s.heading === 'Road to episodes')?.text ?? '';
    expect(roadTo.split('\n')).toEqual([
      'The episode started a series of Brian and Stewie adventures:',
      'Episode | Season',
      'Road to Rhode Island | 2',
      'Road to Europe | 3',
      'Road to Rupert | 5',
    ]);
    expect(allText(episode)).not.toContain('Roadhouse (gag)'); // the episode navigation table
    expect(allText(parse('Ernie_the_Giant_Chicken'))).not.toContain('For other chickens');
  });

  it('reads lists item by item', () => {
    const cast = parse('Blue_Harvest').sections.find((s) => s.heading === 'Cast')?.text ?? '';
    expect(cast.split('\n')).toContain('Stewie as Darth Vader');
    expect(cast.split('\n')).toHaveLength(7);
  });

  it('gives every fixture article a title, a lead and text without chrome', () => {
    for (const { title } of articles) {
      const page = parse(title);
      expect(page.title).toBe(title.replace(/_/g, ' '));
      expect(page.sections[0]?.heading).toBeNull();
      expect(allText(page)).not.toMatch(/\[edit\]|\[\d+\]|Contents|Retrieved from/);
    }
  });
});

describe('parseArticle redirects and missing pages', () => {
  const ernie = article('Ernie_the_Giant_Chicken');

  it('detects a redirect served with the target page (canonical link) and keeps the content', () => {
    const html = renderArticlePage(ernie, { origin: ORIGIN, redirectedFrom: 'Giant_Chicken' });
    const page = parseArticle(html, `${ORIGIN}/wiki/Giant_Chicken`);
    expect(page.redirectTo).toBe(`${ORIGIN}/wiki/Ernie_the_Giant_Chicken`);
    expect(page.title).toBe('Ernie the Giant Chicken');
    expect(page.isMissing).toBe(false);
    expect(allText(page)).toContain('expired coupon');
  });

  it('detects the "Redirect to:" view of a redirect', () => {
    const html = renderRedirectPage('Lois_Pewterschmidt', 'Lois_Griffin', ORIGIN);
    const page = parseArticle(html, `${ORIGIN}/wiki/Lois_Pewterschmidt?redirect=no`);
    expect(page).toMatchObject({ redirectTo: `${ORIGIN}/wiki/Lois_Griffin`, sections: [], isMissing: false });
  });

  it('is no redirect when the canonical link names the same article, on another host or spelled otherwise', () => {
    const publicHost = renderArticlePage(ernie, { origin: 'https://familyguy.fandom.com' });
    expect(parseArticle(publicHost, `${ORIGIN}/wiki/Ernie_the_Giant_Chicken`).redirectTo).toBeNull();
    const html = renderArticlePage(ernie, { origin: ORIGIN });
    expect(
      parseArticle(html, `${ORIGIN}/wiki/ernie%20the%20Giant%20Chicken#The_fights`).redirectTo,
    ).toBeNull();
  });

  it('marks a missing page', () => {
    const page = parseArticle(
      renderMissingPage('Greased-up_Deaf_Guy', ORIGIN),
      `${ORIGIN}/wiki/Greased-up_Deaf_Guy`,
    );
    expect(page).toMatchObject({
      title: 'Greased-up Deaf Guy',
      sections: [],
      redirectTo: null,
      isMissing: true,
    });
  });

  it('marks a page without any article body as missing', () => {
    const page = parseArticle(
      '<html><head><title>Oops | Fandom</title></head><body><p>Hi</p></body></html>',
      `${ORIGIN}/wiki/Oops`,
    );
    expect(page).toMatchObject({ title: 'Oops', sections: [], isMissing: true });
  });
});

describe('parseArticle on hand-written HTML', () => {
  const wrap = (body: string, head = '') =>
    `<html><head>${head}</head><body><div id="mw-content-text"><div class="mw-parser-output">${body}</div></div></body></html>`;

  it('names h3 sections after their h2, keeps h4 as a line, skips "See also" and empty sections', () => {
    const page = parseArticle(
      wrap(`<p>Lead text.</p>
        <h2><span class="mw-headline" id="Biography">Biography</span></h2>
        <h3><span class="mw-headline" id="Childhood">Childhood</span></h3>
        <p>Born in Quahog.</p>
        <h4>Schools</h4><p>Went to school.</p>
        <h2>Empty</h2>
        <h2>See also</h2><ul><li><a href="/wiki/Lois_Griffin">Lois</a></li></ul>
        <h3>More</h3><p>Skipped with its h2.</p>
        <h2>Trivia</h2><ul><li>One<ul><li>Nested</li></ul></li><li>Two<br>lines</li></ul>`),
      `${ORIGIN}/wiki/Someone`,
    );
    expect(page.title).toBe('Someone'); // nothing else names it
    expect(page.sections).toEqual([
      { heading: null, text: 'Lead text.' },
      { heading: 'Biography / Childhood', text: 'Born in Quahog.\nSchools\nWent to school.' },
      { heading: 'Trivia', text: 'One\nNested\nTwo lines' },
    ]);
    expect(page.links).toEqual(['/wiki/Lois_Griffin']);
  });

  it('takes the title from <title> without the site suffix, and reads #mw-content-text without .mw-parser-output', () => {
    const html = `<html><head><title>Bruce | Family Guy Wiki | Fandom</title></head><body><div id="mw-content-text"><p>Oh   no.</p><p>&nbsp;</p><div>Block <b>one</b><div>inner</div> tail</div></div></body></html>`;
    const page = parseArticle(html, `${ORIGIN}/wiki/Bruce`);
    expect(page.title).toBe('Bruce');
    expect(page.sections).toEqual([{ heading: null, text: 'Oh no.\nBlock one\ninner\ntail' }]);
  });
});
