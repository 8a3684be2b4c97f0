/**
 * Lorebooks ("world info", as in Character Card V2/V3's character_book): entries of lore inserted into
 * a reply's prompt when their keys appear in the recent conversation. A book is attached to a
 * character, a channel, or everything (global); `src/store/lorebooks.ts` owns their collection and
 * `src/lore/match.ts` decides which entries a prompt gets.
 */

/** One entry, with the card spec's names. */
export interface LoreEntry {
  /** Unique within its book; what rag_context_used points to. */
  id: number;
  /** The card's `name` (or `comment`): how an admin recognises it. */
  name: string;
  /** Any of these in the scanned messages triggers the entry (case-insensitive unless case_sensitive). */
  keys: string[];
  /** With `selective`: one of these must appear too. */
  secondary_keys: string[];
  selective: boolean;
  /** Always inserted, keys or not. */
  constant: boolean;
  enabled: boolean;
  /** Lower first in the prompt. */
  insertion_order: number;
  /** When the book's token budget is reached, lower priority entries are left out first. */
  priority: number;
  /** V3: keys are regular expressions (`/pattern/flags` or a bare pattern). */
  use_regex: boolean;
  case_sensitive: boolean;
  content: string;
  /** Kept as the card had them (position, depth, probability...), exported again. */
  extensions: Record<string, unknown>;
}

export interface Lorebook {
  name: string;
  description: string;
  /** How many of the newest messages (the one being answered included) are scanned for keys. */
  scan_depth: number;
  /** Most tokens (estimated as characters / 4) of entries inserted into one prompt. */
  token_budget: number;
  /** Kept for export; entries do not trigger each other here. */
  recursive_scanning: boolean;
  extensions: Record<string, unknown>;
  entries: LoreEntry[];
}

/** Where a book is attached: `global`, `character:<lower-case name>` or `channel:<Discord channel id>`. */
export type LoreScope = 'global' | `character:${string}` | `channel:${string}`;

export const DEFAULT_SCAN_DEPTH = 4;
export const DEFAULT_TOKEN_BUDGET = 512;

/** An entry chosen for a prompt, with where it came from (recorded in rag_context_used). */
export interface MatchedLore {
  scope: LoreScope;
  book: string;
  entryId: number;
  name: string;
  content: string;
  /** `constant`, or the key that matched, e.g. `key: Quahog`. */
  reason: string;
}
