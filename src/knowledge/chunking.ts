/**
 * Splits an article's sections into overlapping chunks for embedding. Deterministic: the same sections
 * and options always give the same chunks (their indexes are part of the Chroma ids).
 *
 * Choices:
 * - Chunks follow sections: a chunk holds one section (or a piece of one), so its `section` says what it
 *   is about. A section longer than `size` is cut into pieces of at most `size` characters, at a
 *   paragraph end if there is one in the second half of the window, else a sentence end, else a space;
 *   the next piece starts up to `overlap` characters earlier, at a sentence start if there is one in
 *   that stretch, else a word start. Nothing is dropped but whitespace at the cuts.
 * - Tiny sections (under `minSection` characters, a quarter of `size` by default) are merged with the
 *   sections after them while the result still fits in one chunk; the chunk keeps the first heading and
 *   each merged section's text is introduced by its own heading line. A tiny last section joins the one
 *   before it when that fits. One-sentence sections alone embed poorly and would crowd the top-k.
 * - Each chunk's text starts with a line naming where it comes from: "Peter Griffin — Early life" (the
 *   `title` option and the section heading, whichever are known). Retrieval then matches questions
 *   that name the article even when the piece itself only says "he". This line is not counted in `size`.
 */

export interface ChunkableSection {
  heading: string | null;
  text: string;
}

export interface ArticleChunk {
  /** Header line + the piece of section text. */
  text: string;
  /** Heading of the (first) section the chunk is from; null for the lead. */
  section: string | null;
  /** 0, 1, 2, ... over the whole article. */
  index: number;
}

export interface ChunkOptions {
  /** Most characters of section text in a chunk (the header line comes on top). Default 1000. */
  size?: number;
  /** Characters a piece repeats from the end of the previous piece of the same section, at most. Default 200. */
  overlap?: number;
  /** Sections shorter than this are merged with the following ones. Default size / 4. */
  minSection?: number;
  /** Article title for the header line of every chunk. */
  title?: string;
}

export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_CHUNK_OVERLAP = 200;

export function chunkArticle(
  sections: readonly ChunkableSection[],
  options: ChunkOptions = {},
): ArticleChunk[] {
  const size = options.size ?? DEFAULT_CHUNK_SIZE;
  const overlap = options.overlap ?? DEFAULT_CHUNK_OVERLAP;
  const minSection = options.minSection ?? Math.floor(size / 4);
  if (!Number.isInteger(size) || size < 2) throw new Error(`chunk size must be an integer >= 2, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size) {
    throw new Error(`chunk overlap must be an integer in [0, size), got ${overlap} for size ${size}`);
  }

  const chunks: ArticleChunk[] = [];
  for (const group of mergeTinySections(sections, size, minSection)) {
    const header = [options.title?.trim(), group.heading].filter(Boolean).join(' — ');
    for (const { start, end } of splitText(group.text, size, overlap)) {
      const body = group.text.slice(start, end).trim();
      if (body === '') continue;
      chunks.push({
        text: header ? `${header}\n${body}` : body,
        section: group.heading,
        index: chunks.length,
      });
    }
  }
  return chunks;
}

/** Sections with text, tiny ones merged forward (or, for the last, backward) while the result fits. */
export function mergeTinySections(
  sections: readonly ChunkableSection[],
  size: number,
  minSection: number,
): ChunkableSection[] {
  const groups: ChunkableSection[] = [];
  const withHeading = (section: ChunkableSection) =>
    section.heading ? `${section.heading}\n${section.text}` : section.text;
  for (const section of sections) {
    const text = section.text.trim();
    if (text === '') continue;
    const last = groups[groups.length - 1];
    const addition = withHeading({ heading: section.heading, text });
    if (last && last.text.length < minSection && last.text.length + 1 + addition.length <= size) {
      last.text = `${last.text}\n${addition}`;
    } else {
      groups.push({ heading: section.heading, text });
    }
  }
  const last = groups[groups.length - 1];
  const previous = groups[groups.length - 2];
  if (last && previous && last.text.length < minSection) {
    const addition = withHeading(last);
    if (previous.text.length + 1 + addition.length <= size) {
      previous.text = `${previous.text}\n${addition}`;
      groups.pop();
    }
  }
  return groups;
}

/**
 * Character ranges [start, end) of the pieces of `text`: each at most `size` long, each starting after
 * the previous one's start and no later than its end (so together they cover the text), overlapping it by
 * at most `overlap`.
 */
export function splitText(
  text: string,
  size: number,
  overlap: number,
): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (;;) {
    if (text.length - start <= size) {
      ranges.push({ start, end: text.length });
      return ranges;
    }
    const end = cutBefore(text, start + Math.max(1, Math.floor(size / 2)), start + size);
    ranges.push({ start, end });
    start = startAfter(text, Math.max(end - overlap, start + 1), end);
  }
}

/** Where to end a piece within (lo, hi]: after a line, after a sentence, at a space, else at hi. */
function cutBefore(text: string, lo: number, hi: number): number {
  for (let i = hi - 1; i >= lo; i--) if (text[i] === '\n') return i;
  for (let i = hi - 1; i >= lo; i--) {
    if ('.!?'.includes(text[i] as string) && /\s/.test(text[i + 1] ?? ' ')) return i + 1;
  }
  for (let i = hi - 1; i >= lo; i--) if (/\s/.test(text[i] as string)) return i;
  return hi;
}

/** Where to start the next piece within [lo, hi]: the first sentence start, else word start, else lo. */
function startAfter(text: string, lo: number, hi: number): number {
  const isStart = (i: number) => /\S/.test(text[i] ?? '') && /\s/.test(text[i - 1] ?? '');
  for (let i = lo; i < hi; i++) {
    if (isStart(i) && (text[i - 1] === '\n' || /[.!?]["')\]]?\s+$/.test(text.slice(Math.max(0, i - 4), i)))) {
      return i;
    }
  }
  for (let i = lo; i < hi; i++) if (isStart(i)) return i;
  return lo;
}
