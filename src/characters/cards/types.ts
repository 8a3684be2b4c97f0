/**
 * Character Card V3 (`chara_card_v3`, github.com/kwaroran/character-card-spec-v3), as exported. V3 is
 * a superset of V2 (`chara_card_v2`, github.com/malfoyslastname/character-card-spec-v2): the V2 fields
 * are written too, so V2 readers of the `chara` chunk find everything they know.
 */

export interface CardAsset {
  type: string;
  uri: string;
  name: string;
  ext: string;
}

export interface CardLoreEntry {
  id: number;
  keys: string[];
  secondary_keys: string[];
  content: string;
  extensions: Record<string, unknown>;
  enabled: boolean;
  insertion_order: number;
  case_sensitive: boolean;
  use_regex: boolean;
  constant: boolean;
  selective: boolean;
  priority: number;
  name: string;
  comment: string;
}

export interface CardCharacterBook {
  name: string;
  description: string;
  scan_depth: number;
  token_budget: number;
  recursive_scanning: boolean;
  extensions: Record<string, unknown>;
  entries: CardLoreEntry[];
}

export interface CardV3Data {
  name: string;
  nickname?: string;
  description: string;
  personality: string;
  scenario: string;
  first_mes: string;
  mes_example: string;
  creator_notes: string;
  system_prompt: string;
  post_history_instructions: string;
  alternate_greetings: string[];
  group_only_greetings: string[];
  tags: string[];
  creator: string;
  character_version: string;
  character_book?: CardCharacterBook;
  assets: CardAsset[];
  extensions: Record<string, unknown>;
  /** Whatever else the imported card had (source, creation_date, ...), written back as it was. */
  [kept: string]: unknown;
}

export interface CardV3 {
  spec: 'chara_card_v3';
  spec_version: '3.0';
  data: CardV3Data;
}

/** Our own extension (`data.extensions.fg_bots`): what a card has no field for, round-tripped. */
export interface FgBotsExtension {
  fallback_line: string;
  aliases: string[];
}
