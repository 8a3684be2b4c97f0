import { articles } from '../fixtures/wiki/articles';
import { encodeTitle } from '../fixtures/wiki/render';
import { articleUrl, normaliseArticleUrl, normaliseTitle, titleFromUrl } from '../../src/knowledge/wikiUrls';

const WIKI = 'https://familyguy.fandom.com';
const BASE = `${WIKI}/wiki/Peter_Griffin`;

describe('normaliseArticleUrl', () => {
  it.each([
    ['/wiki/Brian_Griffin', '/wiki/Brian_Griffin'],
    ['Brian_Griffin', '/wiki/Brian_Griffin'], // relative to /wiki/Peter_Griffin
    ['./Brian_Griffin', '/wiki/Brian_Griffin'],
    ['/wiki/Brian%20Griffin', '/wiki/Brian_Griffin'],
    ['/wiki/Brian Griffin', '/wiki/Brian_Griffin'],
    ['/wiki/brian_Griffin', '/wiki/Brian_Griffin'],
    ['/wiki/Brian__Griffin_', '/wiki/Brian_Griffin'],
    ['/wiki/Brian_Griffin#Writing_career', '/wiki/Brian_Griffin'],
    ['/wiki/Brian_Griffin?oldid=12345', '/wiki/Brian_Griffin'],
    ['/wiki/Brian_Griffin?so=search#top', '/wiki/Brian_Griffin'],
    ['http://familyguy.fandom.com/wiki/Brian_Griffin', '/wiki/Brian_Griffin'],
    ['//familyguy.fandom.com/wiki/Brian_Griffin', '/wiki/Brian_Griffin'],
    ['https://FamilyGuy.Fandom.com/wiki/Brian_Griffin', '/wiki/Brian_Griffin'],
    ['#cite_note-1', '/wiki/Peter_Griffin'],
    ["/wiki/Surfin'_Bird", '/wiki/Surfin%27_Bird'],
    ['/wiki/Surfin%27_Bird', '/wiki/Surfin%27_Bird'],
    ['/wiki/Quahog%2C_Rhode_Island', '/wiki/Quahog,_Rhode_Island'],
    ['/wiki/Quahog,_Rhode_Island', '/wiki/Quahog,_Rhode_Island'],
    ['/wiki/Roadhouse_%28gag%29', '/wiki/Roadhouse_(gag)'],
    ['/wiki/Dr._Elmer_Hartman', '/wiki/Dr._Elmer_Hartman'],
    ['/wiki/Peter_L%C3%B6wenbr%C3%A4u', '/wiki/Peter_L%C3%B6wenbr%C3%A4u'],
    ['/wiki/Peter_Löwenbräu', '/wiki/Peter_L%C3%B6wenbr%C3%A4u'],
    ['/wiki/AC/DC', '/wiki/AC/DC'],
    ['/wiki/AT%26T', '/wiki/AT%26T'],
    ['/wiki/Family_Guy:_Back_to_the_Multiverse', '/wiki/Family_Guy:_Back_to_the_Multiverse'], // not a namespace
    ['/wiki/Main_Page', '/wiki/Main_Page'],
  ])('%s -> %s', (href, path) => {
    expect(normaliseArticleUrl(href, BASE)).toBe(`${WIKI}${path}`);
  });

  it.each([
    // Namespaces, in any case and spelling.
    '/wiki/Special:Random',
    '/wiki/special:AllPages',
    '/wiki/Special%3ARandom',
    '/wiki/Special%3aRandom',
    '/wiki/Special:WhatLinksHere/Peter_Griffin',
    '/wiki/Talk:Peter_Griffin',
    '/wiki/talk:Peter_Griffin',
    '/wiki/File:Peter_Griffin.png',
    '/wiki/Image:Peter_Griffin.png',
    '/wiki/Media:Theme.ogg',
    '/wiki/Category:Characters',
    '/wiki/Category%3ACharacters',
    '/wiki/Template:Infobox_character',
    '/wiki/Template_talk:Griffin_family',
    '/wiki/User:Admin',
    '/wiki/User_talk:Admin',
    '/wiki/User%20talk:Admin',
    '/wiki/User_blog:Admin/Welcome',
    '/wiki/Help:Contents',
    '/wiki/MediaWiki:Common.css',
    '/wiki/Forum:Index',
    '/wiki/Message_Wall:Admin',
    '/wiki/Thread:12345',
    '/wiki/Board:General_Discussion',
    '/wiki/Blog:Recent_posts',
    '/wiki/Module:Quotes',
    '/wiki/Category_talk:Characters',
    '/wiki/File_talk:Peter.png',
    '/wiki/Family_Guy_Wiki:About',
    '/wiki/Project:About',
    // Views other than the article.
    '/wiki/Peter_Griffin?action=edit',
    '/wiki/Peter_Griffin?action=history',
    '/wiki/Peter_Griffin?action=edit&section=2',
    '/wiki/Peter_Griffin?veaction=edit',
    '/index.php?title=Peter_Griffin',
    '/index.php?title=Greased-up_Deaf_Guy&action=edit&redlink=1',
    '/w/index.php?title=Peter_Griffin',
    '/api.php?action=query',
    // Not this wiki, not an article path, not http.
    'https://www.fandom.com/wiki/Peter_Griffin',
    'https://simpsons.fandom.com/wiki/Homer_Simpson',
    'https://static.wikia.nocookie.net/familyguy/images/a/ab/Peter.png',
    'https://familyguy.fandom.com.evil.example/wiki/Peter_Griffin',
    '/f/p/4400000000000000001',
    '/',
    '/wiki/',
    '/wiki/_',
    '/Peter_Griffin',
    'mailto:support@fandom.com',
    'javascript:void(0)',
    'ftp://familyguy.fandom.com/wiki/Peter_Griffin',
    '',
    '   ',
    // Not a title.
    '/wiki/%E0%A4%A',
    '/wiki/C%23',
    '/wiki/A%7CB',
  ])('rejects %s', (href) => {
    expect(normaliseArticleUrl(href, BASE)).toBeNull();
  });

  it('maps every spelling of an article to one URL', () => {
    const spellings = [
      '/wiki/Ernie_the_Giant_Chicken',
      '/wiki/Ernie the Giant Chicken',
      '/wiki/Ernie%20the%20Giant%20Chicken',
      '/wiki/ernie_the_Giant_Chicken',
      '/wiki/Ernie_the_Giant_Chicken#The_fights',
      '/wiki/Ernie_the_Giant_Chicken?oldid=1',
      'Ernie_the_Giant_Chicken',
      'http://familyguy.fandom.com/wiki/Ernie_the_Giant_Chicken',
      `${WIKI}/wiki/Ernie%5Fthe%5FGiant%5FChicken`,
    ];
    const urls = new Set(spellings.map((href) => normaliseArticleUrl(href, BASE)));
    expect([...urls]).toEqual([`${WIKI}/wiki/Ernie_the_Giant_Chicken`]);
  });

  it("keeps a language wiki's path prefix and stays inside it", () => {
    const base = `${WIKI}/de/wiki/Peter_Griffin`;
    expect(normaliseArticleUrl('/de/wiki/Lois_Griffin', base)).toBe(`${WIKI}/de/wiki/Lois_Griffin`);
    expect(normaliseArticleUrl('Lois_Griffin', base)).toBe(`${WIKI}/de/wiki/Lois_Griffin`);
    expect(normaliseArticleUrl('/wiki/Lois_Griffin', base)).toBeNull();
  });

  it("gives MediaWiki's own URL for every fixture title (as Fandom's canonical links spell them)", () => {
    for (const { title } of articles) {
      const canonical = `${WIKI}/wiki/${encodeTitle(title)}`;
      expect(normaliseArticleUrl(canonical, BASE)).toBe(canonical);
      expect(normaliseArticleUrl(`/wiki/${title}`, BASE)).toBe(canonical);
      expect(articleUrl(WIKI, titleFromUrl(canonical) as string)).toBe(canonical);
    }
  });
});

describe('articleUrl', () => {
  it.each([
    [WIKI, 'Peter Griffin', `${WIKI}/wiki/Peter_Griffin`],
    [`${WIKI}/`, 'Peter_Griffin', `${WIKI}/wiki/Peter_Griffin`],
    [`${WIKI}/wiki/Main_Page`, "Surfin' Bird", `${WIKI}/wiki/Surfin%27_Bird`],
    [WIKI, 'Quahog, Rhode Island', `${WIKI}/wiki/Quahog,_Rhode_Island`],
    [WIKI, 'main Page', `${WIKI}/wiki/Main_Page`],
    [`${WIKI}/de/wiki/Hauptseite`, 'Peter Griffin', `${WIKI}/de/wiki/Peter_Griffin`],
    ['http://127.0.0.1:8080', 'Roadhouse (gag)', 'http://127.0.0.1:8080/wiki/Roadhouse_(gag)'],
  ])('(%s, %s) -> %s', (base, title, url) => {
    expect(articleUrl(base, title)).toBe(url);
  });

  it('refuses an empty title', () => {
    expect(() => articleUrl(WIKI, ' _ ')).toThrow(/not a page title/);
  });
});

describe('titleFromUrl', () => {
  it.each([
    [`${WIKI}/wiki/Ernie_the_Giant_Chicken`, 'Ernie the Giant Chicken'],
    [`${WIKI}/wiki/Surfin%27_Bird`, "Surfin' Bird"],
    [`${WIKI}/wiki/Quahog,_Rhode_Island#History`, 'Quahog, Rhode Island'],
    [`${WIKI}/de/wiki/Peter_Griffin`, 'Peter Griffin'],
    [`${WIKI}/wiki/Talk:Peter_Griffin`, 'Talk:Peter Griffin'],
    [`${WIKI}/index.php?title=Peter_Griffin`, null],
    ['not a url', null],
  ])('%s -> %s', (url, title) => {
    expect(titleFromUrl(url)).toBe(title);
  });
});

describe('normaliseTitle', () => {
  it.each([
    ['peter griffin', 'Peter_griffin'], // only the first letter: MediaWiki titles are case-sensitive after it
    ['  Peter   Griffin ', 'Peter_Griffin'],
    ['__', null],
    ['évil Monkey', 'Évil_Monkey'],
  ])('%s -> %s', (title, key) => {
    expect(normaliseTitle(title)).toBe(key);
  });
});
