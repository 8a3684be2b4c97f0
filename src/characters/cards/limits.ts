/**
 * What a card may hold. They keep one import bounded in memory and in the prompt it makes
 * (documented in the README); a card over any of them is refused with a CardError naming the limit.
 */

/** A whole card file, PNG or JSON (also bounds the PNG's chunks in total). */
export const MAX_CARD_FILE_BYTES = 4 * 1024 * 1024;
/** The card's JSON text (for a PNG: the decoded `ccv3` / `chara` payload). */
export const MAX_CARD_JSON_BYTES = 1024 * 1024;
/** Each text field the system uses (description, first_mes, a lore entry's content, a key...). */
export const MAX_TEXT_FIELD_CHARS = 32_000;
/** The composed prompt (all prompt fields and the HARD RULES together). */
export const MAX_PROMPT_CHARS = 64_000;
/** The card's name, and so the roster name made from it. */
export const MAX_NAME_CHARS = 32;
/** The fallback line is posted to Discord as it is: one message. */
export const MAX_FALLBACK_CHARS = 2000;
/** Aliases, and the characters in each. */
export const MAX_ALIASES = 50;
export const MAX_ALIAS_CHARS = 64;
/** group_only_greetings and alternate_greetings, each. */
export const MAX_GREETINGS = 50;
export const MAX_LORE_ENTRIES = 500;
/** keys and secondary_keys of one lore entry, each. */
export const MAX_KEYS_PER_ENTRY = 100;
/** A use_regex key (the lore matcher never runs longer ones). */
export const MAX_REGEX_KEY_CHARS = 200;
/** JSON nesting (extensions are free-form): deeper cards are refused. */
export const MAX_JSON_DEPTH = 64;
/** A character_book's scan_depth (messages) and token_budget (estimated tokens). */
export const MAX_SCAN_DEPTH = 100;
export const MAX_TOKEN_BUDGET = 100_000;
/** A card's tags (kept for export). */
export const MAX_TAGS = 200;
