/**
 * A character as the roster in MongoDB keeps it (`characters`, owned by src/store/characterRoster.ts),
 * and what importing a Character Card produces. Prompts stay in `character_prompts` (versioned), lore
 * in `lorebooks`; this is who the character is to Discord: name, aliases, avatar, starters, fallback.
 */
import type { Lorebook } from '../lore/types';

export type AvatarMime = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';

export interface Avatar {
  mime: AvatarMime;
  data: Buffer;
}

/** Card fields a card-made prompt version is composed from (kept on the version, exported again). */
export interface CardPromptFields {
  description: string;
  personality: string;
  scenario: string;
  mes_example: string;
  system_prompt: string;
  post_history_instructions: string;
}

/**
 * What a card had that the system does not use, kept verbatim and written back on export: the card's
 * `data` without the mapped fields (creator, tags, character_version, creator_notes, alternate_greetings,
 * nickname, source, assets, ...; `extensions` without talkativeness and fg_bots), and its spec_version.
 */
export interface CardKeep {
  spec_version: string;
  data: Record<string, unknown>;
}

/** The roster entry, as stored. `_id` is the lower-cased name. */
export interface CharacterProfile {
  /** A letter, then letters, digits or _ (at most 32): also `bot_name` and DISCORD_TOKEN_<NAME>. */
  name: string;
  /** Lower-case words that address the character (its name among them). */
  aliases: string[];
  /** Posted in character when the LLM cannot answer. */
  fallback_line: string;
  /** 0-1: the chance of answering another character's line unprompted, and the organic weight. */
  talkativeness: number;
  /** Lines the character may open a quiet channel with (a card's first_mes and group_only_greetings). */
  organic_starters: string[];
  avatar: Avatar | null;
  /** A public image URL for webhook posts, when the avatar is hosted elsewhere. */
  avatar_url: string | null;
  /** Retired characters answer nowhere; their history stays. */
  status: 'active' | 'retired';
  /** builtin and file: seeded from the environment's roster; card: imported; admin: added through the API. */
  source: 'builtin' | 'file' | 'card' | 'admin';
  card: CardKeep | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * A roster entry as the running processes keep it (re-read every few seconds): the profile without the
 * avatar's bytes, which are read only when served.
 */
export type RosterEntry = Omit<CharacterProfile, 'avatar'> & { has_avatar: boolean };

/** Everything a card import writes, validated in full before anything is written. */
export interface CharacterImport {
  profile: Pick<
    CharacterProfile,
    'name' | 'aliases' | 'fallback_line' | 'talkativeness' | 'organic_starters' | 'avatar'
  >;
  /** The new prompt version's text ({{char}}/{{user}} left in: resolved at prompt time) and its fields. */
  prompt: { prompt_text: string; card_fields: CardPromptFields };
  /** The card's character_book; null when it has none. */
  lorebook: Lorebook | null;
  card: CardKeep;
}
