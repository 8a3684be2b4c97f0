/**
 * Article URLs of a MediaWiki (Fandom) wiki, in one canonical spelling each, so the crawler visits an
 * article once however a page links to it (`/wiki/Peter%20Griffin#Early_life`, `peter_Griffin`,
 * `http://` vs `https://`) and never wanders into non-articles (Special:, Talk:, File:, edit and history
 * views). The canonical form is MediaWiki's own: `<origin><prefix>/wiki/<Title>` with spaces as `_`, the
 * first letter upper-case, and the title percent-encoded as MediaWiki does (`:`, `/`, `(`, `)`, `,` and
 * `!` left as they are, `'` as `%27`), which is also what Fandom puts in `<link rel="canonical">`.
 */

/**
 * Namespaces that are not articles (lower case, `_` for spaces). Any `<something>_talk` namespace and a
 * Fandom project namespace (`<Sitename>_Wiki:`, e.g. `Family_Guy_Wiki:Policy`) are rejected too.
 */
const NON_ARTICLE_NAMESPACES = new Set([
  'special',
  'media',
  'talk',
  'user',
  'user_talk',
  'user_blog',
  'user_blog_comment',
  'project',
  'file',
  'image',
  'mediawiki',
  'template',
  'help',
  'category',
  'forum',
  'message_wall',
  'message_wall_greeting',
  'thread',
  'board',
  'board_thread',
  'topic',
  'blog',
  'module',
  'gadget',
  'gadget_definition',
  'map',
  'portal',
  'video',
  'widget',
  'geojson',
]);

/** Query parameters that turn an article URL into a view of something else (edit form, history, ...). */
const ACTION_PARAMS = ['action', 'veaction'];

/** Characters MediaWiki leaves unescaped in title URLs (its `wfUrlencode`). */
const KEEP_ESCAPED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%2C': ',',
  '%3B': ';',
  '%40': '@',
  '%24': '$',
};

/**
 * The canonical article URL `href` points to, resolved against `base` (the page it was found on), or null
 * when it is not an article of the same wiki: another host, not under `/wiki/`, `index.php`, an
 * `?action=`/`?veaction=` view, a non-article namespace, or an empty/undecodable title. `#fragments` and
 * other query strings (`?oldid=`, `?so=search`) are dropped: they show the same article.
 */
export function normaliseArticleUrl(href: string, base: string): string | null {
  const trimmed = href.trim();
  if (trimmed === '') return null;
  let url: URL;
  let baseUrl: URL;
  try {
    baseUrl = new URL(base);
    url = new URL(trimmed, baseUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname !== baseUrl.hostname) return null;
  if (ACTION_PARAMS.some((name) => url.searchParams.has(name))) return null;

  const prefix = articlePathPrefix(baseUrl.pathname);
  const articlePath = `${prefix}/wiki/`;
  if (!url.pathname.startsWith(articlePath)) return null; // index.php, /f/ discussions, images, ...
  const title = decodeTitle(url.pathname.slice(articlePath.length));
  if (title === null || !isArticleTitle(title)) return null;
  return `${baseUrl.protocol}//${baseUrl.host}${articlePath}${encodeTitle(title)}`;
}

/** The article URL of `title` ("Peter Griffin" or "Peter_Griffin") on the wiki `base` belongs to. */
export function articleUrl(base: string, title: string): string {
  const normalised = normaliseTitle(title);
  if (normalised === null) throw new Error(`not a page title: ${JSON.stringify(title)}`);
  const baseUrl = new URL(base);
  return `${baseUrl.protocol}//${baseUrl.host}${articlePathPrefix(baseUrl.pathname)}/wiki/${encodeTitle(normalised)}`;
}

/**
 * The title of an article URL as MediaWiki displays it ("Ernie the Giant Chicken"), or null when the URL
 * is not under `/wiki/`. Namespaced titles are returned too ("Talk:Peter Griffin").
 */
export function titleFromUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const at = parsed.pathname.indexOf('/wiki/');
  if (at < 0) return null;
  const title = decodeTitle(parsed.pathname.slice(at + '/wiki/'.length));
  return title === null ? null : title.replace(/_/g, ' ');
}

/**
 * A title in MediaWiki's key form: `_` for spaces (runs collapsed, none at the ends), first letter upper
 * case (Fandom wikis capitalise titles), Unicode NFC. Null when nothing is left.
 */
export function normaliseTitle(title: string): string | null {
  const key = title
    .normalize('NFC')
    .replace(/[\s_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (key === '') return null;
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** Whether a (normalised) title is in the article namespace. */
export function isArticleTitle(title: string): boolean {
  const colon = title.indexOf(':');
  if (colon < 0) return true;
  const namespace = title
    .slice(0, colon)
    .replace(/[\s_]+/g, '_')
    .toLowerCase();
  if (NON_ARTICLE_NAMESPACES.has(namespace)) return false;
  if (namespace.endsWith('_talk')) return false;
  if (namespace.endsWith('_wiki')) return false; // Fandom project namespace: "Family Guy Wiki:"
  return true;
}

/** `/de` for `https://x.fandom.com/de/wiki/Seite`; '' for English wikis and bare origins. */
function articlePathPrefix(pathname: string): string {
  const at = pathname.indexOf('/wiki/');
  return at > 0 ? pathname.slice(0, at) : '';
}

/** Percent-decodes a URL path title and normalises it; null when it is malformed or empty. */
function decodeTitle(encoded: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  // Characters MediaWiki forbids in titles (control characters included).
  if (/[#<>[\]{}|]/.test(decoded) || [...decoded].some((char) => char.charCodeAt(0) < 0x20)) return null;
  return normaliseTitle(decoded);
}

/** MediaWiki's title encoding: encodeURIComponent, plus `'` escaped and `:/,;@$` left readable. */
function encodeTitle(title: string): string {
  return encodeURIComponent(title)
    .replace(/'/g, '%27')
    .replace(/%3A|%2F|%2C|%3B|%40|%24/g, (code) => KEEP_ESCAPED[code] ?? code);
}
