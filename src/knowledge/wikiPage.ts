/**
 * The article text of a Fandom (MediaWiki) page, as sections under their h2/h3 headings, without the
 * page's chrome: navigation, edit links, references, tables of contents, navboxes, galleries, maintenance
 * boxes. The portable infobox is kept as "Label: value" lines in a section headed `Infobox` (right after
 * the lead): those are facts ("Voiced by: Seth MacFarlane") a question may be about.
 *
 * Fandom's shape: the article is `#mw-content-text > .mw-parser-output`; headings are
 * `<h2><span class="mw-headline">…</span><span class="mw-editsection">…</span></h2>` (MediaWiki 1.39) or
 * `<div class="mw-heading mw-heading2"><h2>…</h2>…</div>` (1.43+); the title is `#firstHeading`
 * (`.page-header__title`). A redirect is served either as the target's content with
 * `<link rel="canonical">` naming the target, or (with `?redirect=no`) as a `.redirectMsg` linking to it;
 * a missing page (HTTP 404) has a `.noarticletext` box.
 */
import { load, type CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { articleUrl, normaliseArticleUrl, titleFromUrl } from './wikiUrls';

export interface ArticleSection {
  /** `Early life`, `Early life / Childhood` for an h3 under an h2; null for the lead (text before any heading). */
  heading: string | null;
  /** Paragraphs, list items, table rows and infobox lines, one per line, whitespace collapsed inside each. */
  text: string;
}

export interface ParsedArticle {
  title: string;
  /** Non-empty sections in page order; the lead first, then `Infobox`, then the headed ones. */
  sections: ArticleSection[];
  /** Every `href` in the article body (infobox and navboxes included), raw and deduplicated, in page
   * order: filter them with `normaliseArticleUrl(href, url)`. */
  links: string[];
  /**
   * The canonical article URL this page redirects to (on the fetched URL's host), else null. MediaWiki
   * serves a redirect with the target's content (then `sections` are the target's: index them under
   * `redirectTo`, never under the redirect's URL); the `?redirect=no` view has no sections.
   */
  redirectTo: string | null;
  /** The wiki has no such article (a `.noarticletext` page, or no article body at all). */
  isMissing: boolean;
}

/** Heading of the section made from the portable infobox. */
export const INFOBOX_HEADING = 'Infobox';

/** h2 sections that hold no article prose (compared in lower case). */
const SKIPPED_SECTIONS = new Set([
  'references',
  'notes and references',
  'external links',
  'see also',
  'gallery',
  'sources',
  'navigation',
  'videos',
]);

/** Page chrome inside the article body, removed before reading the text. */
const CHROME = [
  'script',
  'style',
  'noscript',
  'link',
  'meta',
  'nav',
  '[role="navigation"]',
  '.mw-editsection',
  '.editsection',
  '.reference',
  'sup.reference',
  'ol.references',
  '.references',
  '.mw-references-wrap',
  '.reflist',
  '.toc',
  '#toc',
  '.navbox',
  '.navbox-wrapper',
  '.navigation-box',
  '.gallery',
  '.wikia-gallery',
  '.wikia-slideshow',
  'figure',
  '.thumb',
  '.printfooter',
  '.catlinks',
  '.noprint',
  '.mbox',
  '.ambox',
  '.hatnote',
  '.dablink',
  '.mw-empty-elt',
  '.redirectMsg',
].join(', ');

/** Elements whose content is a separate line (or lines) of text. */
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'section',
  'article',
  'aside',
  'blockquote',
  'center',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'pre',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
]);

export function parseArticle(html: string, url: string): ParsedArticle {
  const $ = load(html);
  const title = pageTitle($, url);
  const root = $('#mw-content-text .mw-parser-output').first().length
    ? $('#mw-content-text .mw-parser-output').first()
    : $('#mw-content-text, .mw-parser-output').first();

  const links = [
    ...new Set(
      root
        .find('a[href]')
        .map((_, a) => $(a).attr('href') ?? '')
        .get()
        .filter((href) => href !== ''),
    ),
  ];
  const redirectTo = findRedirect($, url);
  const isMissing =
    redirectTo === null && (root.length === 0 || $('.noarticletext, #noarticletext').length > 0);
  if (isMissing || root.length === 0) return { title, sections: [], links, redirectTo, isMissing };

  const infobox = root
    .find('aside.portable-infobox')
    .map((_, box) => infoboxLines($, box))
    .get();
  root.find('aside.portable-infobox').remove();
  root.find(CHROME).remove();
  root.find('table').each((_, table) => {
    if (isNavigationTable($, table)) $(table).remove();
  });

  const sections = readSections($, root.get(0) as Element);
  if (infobox.length > 0) {
    const at = sections[0]?.heading === null ? 1 : 0;
    sections.splice(at, 0, { heading: INFOBOX_HEADING, text: infobox.join('\n') });
  }
  return { title, sections, links, redirectTo, isMissing };
}

/** `#firstHeading`, Fandom's `.page-header__title`, `<title>` up to its first " | ", or the URL's title. */
function pageTitle($: CheerioAPI, url: string): string {
  for (const selector of ['#firstHeading', '.page-header__title']) {
    const text = collapse($(selector).first().text());
    if (text) return text;
  }
  const fromTag = collapse($('title').first().text().split(' | ')[0] ?? '');
  return fromTag || titleFromUrl(url) || '';
}

/** The redirect target: a `.redirectMsg` link, or a canonical link naming another article. */
function findRedirect($: CheerioAPI, url: string): string | null {
  const here = normaliseArticleUrl(url, url);
  const message = $('.redirectMsg a[href], .redirectText a[href]').first().attr('href');
  if (message) {
    const target = normaliseArticleUrl(message, url);
    return target !== here ? target : null;
  }
  const canonical = $('link[rel="canonical"]').attr('href');
  const canonicalTitle = canonical ? titleFromUrl(canonical) : null;
  if (!here || !canonicalTitle) return null;
  // Compare titles only: the canonical link names the public host even when the wiki is reached otherwise.
  const target = normaliseArticleUrl(articleUrl(url, canonicalTitle), url);
  return target && target !== here ? target : null;
}

/** "Label: value" lines of a portable infobox (its title, images and group headers left out). */
function infoboxLines($: CheerioAPI, box: Element): string[] {
  const lines: string[] = [];
  $(box)
    .find('.pi-data')
    .each((_, item) => {
      const label = collapse($(item).find('.pi-data-label').first().text());
      const value = listText($, $(item).find('.pi-data-value').first());
      if (value) lines.push(label ? `${label}: ${value}` : value);
    });
  // Horizontal groups: a row of labels (th) over a row of values (td).
  $(box)
    .find('table.pi-horizontal-group')
    .each((_, table) => {
      const labels = $(table).find('th.pi-horizontal-group-item').get();
      $(table)
        .find('td.pi-horizontal-group-item')
        .each((i, cell) => {
          const label = collapse($(labels[i]).text());
          const value = listText($, $(cell));
          if (value) lines.push(label ? `${label}: ${value}` : value);
        });
    });
  return lines;
}

/** Text of an infobox value whose items are split by `<br>` or `<li>`: "a, b, c". */
function listText($: CheerioAPI, value: ReturnType<CheerioAPI>): string {
  if (value.length === 0) return '';
  const copy = value.clone();
  copy.find('.reference, sup.reference').remove();
  copy.find('br').replaceWith('\u0001');
  copy.find('li').each((_, li) => void $(li).append('\u0001'));
  return copy.text().split('\u0001').map(collapse).filter(Boolean).join(', ');
}

/** A table that is a list of links (a navbox without the class), not data. */
function isNavigationTable($: CheerioAPI, table: Element): boolean {
  const classes = ($(table).attr('class') ?? '').toLowerCase();
  if (/\bnav/.test(classes)) return true;
  const text = collapse($(table).text()).length;
  const links = $(table).find('a');
  const linkText = collapse(links.text()).length;
  return links.length >= 6 && text > 0 && linkText / text >= 0.85;
}

/** Walks the article body: a new section at every h2/h3, every block a line of the current one. */
function readSections($: CheerioAPI, root: Element): ArticleSection[] {
  const sections: Array<{ heading: string | null; lines: string[]; skipped: boolean }> = [
    { heading: null, lines: [], skipped: false },
  ];
  let h2: string | null = null;
  let h2Skipped = false;

  const startSection = (level: number, text: string): void => {
    if (level <= 2) {
      h2 = text;
      h2Skipped = SKIPPED_SECTIONS.has(text.toLowerCase());
      sections.push({ heading: text, lines: [], skipped: h2Skipped });
    } else {
      sections.push({ heading: h2 ? `${h2} / ${text}` : text, lines: [], skipped: h2Skipped });
    }
  };
  const addLine = (line: string): void => {
    const text = collapse(line);
    if (text) sections[sections.length - 1]?.lines.push(text);
  };

  // Runs of inline content (text, links, <b>) make one line; every block is a line (or lines) of its own.
  const visitChildren = (children: AnyNode[]): void => {
    let inline: AnyNode[] = [];
    const flush = (): void => {
      if (inline.length) addLine(inlineText(inline));
      inline = [];
    };
    for (const child of children) {
      if (isBlock(child)) {
        flush();
        visitBlock(child);
      } else inline.push(child);
    }
    flush();
  };

  const visitBlock = (node: Element): void => {
    const heading = headingOf($, node);
    if (heading) {
      if (heading.level <= 3) startSection(heading.level, heading.text);
      else addLine(heading.text);
      return;
    }
    const tag = node.name.toLowerCase();
    if (tag === 'table') {
      tableLines($, node).forEach(addLine);
    } else if (tag === 'li' || tag === 'dt' || tag === 'dd') {
      // The item's own text on one line, nested lists on lines of their own.
      addLine(inlineText(node.children.filter((child) => !isList(child))));
      visitChildren(node.children.filter(isList));
    } else if (node.children.some(isBlock)) {
      visitChildren(node.children);
    } else {
      addLine(inlineText(node.children));
    }
  };

  visitChildren(root.children);

  return sections
    .filter((section) => !section.skipped && section.lines.length > 0)
    .map((section) => ({ heading: section.heading, text: section.lines.join('\n') }));
}

/** h1-h6, or MediaWiki 1.43's `<div class="mw-heading">` wrapper: its level and text. */
function headingOf($: CheerioAPI, node: Element): { level: number; text: string } | null {
  let element: Element = node;
  if (node.name === 'div' && /\bmw-heading\b/.test(node.attribs.class ?? '')) {
    const inner = $(node).find('h1, h2, h3, h4, h5, h6').get(0);
    if (!inner) return null;
    element = inner;
  }
  const match = /^h([1-6])$/i.exec(element.name);
  if (!match) return null;
  const headline = $(element).find('.mw-headline');
  const text = collapse((headline.length ? headline : $(element)).text());
  return text ? { level: Number(match[1]), text } : null;
}

/** One line per table row, cells joined by " | ". */
function tableLines($: CheerioAPI, table: Element): string[] {
  return $(table)
    .find('tr')
    .map((_, row) =>
      $(row)
        .children('th, td')
        .map((__, cell) => collapse(inlineText([cell])))
        .get()
        .filter(Boolean)
        .join(' | '),
    )
    .get();
}

/** Text of inline nodes; `<br>` and nested blocks become spaces. */
function inlineText(nodes: AnyNode[]): string {
  let out = '';
  const walk = (node: AnyNode): void => {
    if (node.type === 'text') out += node.data;
    else if (node.type === 'tag') {
      const tag = node.name.toLowerCase();
      if (tag === 'br' || BLOCK_TAGS.has(tag)) out += ' ';
      node.children.forEach(walk);
      if (BLOCK_TAGS.has(tag)) out += ' ';
    }
  };
  nodes.forEach(walk);
  return out;
}

function isBlock(node: AnyNode): node is Element {
  return node.type === 'tag' && BLOCK_TAGS.has(node.name.toLowerCase());
}

function isList(node: AnyNode): boolean {
  return node.type === 'tag' && ['ul', 'ol', 'dl'].includes(node.name.toLowerCase());
}

/** Collapses whitespace (non-breaking spaces included) and trims. */
function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
