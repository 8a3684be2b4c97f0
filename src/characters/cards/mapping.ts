/**
 * A card's data -> what an import writes (the mapping table in the README): name and aliases, the
 * prompt fields and the prompt composed from them, starters, talkativeness, our fg_bots extension,
 * the lorebook, and everything else kept for export.
 */
import type { Avatar, CardPromptFields, CharacterImport } from '../profile';
import {
  MAX_ALIASES,
  MAX_ALIAS_CHARS,
  MAX_FALLBACK_CHARS,
  MAX_GREETINGS,
  MAX_NAME_CHARS,
  MAX_PROMPT_CHARS,
  MAX_TAGS,
} from './limits';
import { readCharacterBook } from './lorebook';
import { composeCardPrompt } from './prompt';
import {
  cardFail,
  describeJson,
  distinctNonBlank,
  isJsonObject,
  optionalObject,
  text,
  textList,
  type JsonObject,
} from './read';
import { DEFAULT_TALKATIVENESS } from '../roster';
import { rosterNameFor } from './rosterName';

/** A card as read from JSON: its spec checked, its data not yet. */
export interface SpecCard {
  spec: 'chara_card_v2' | 'chara_card_v3';
  spec_version: string;
  data: JsonObject;
}

/** Data fields the import maps (everything else in data is kept as it is, for export). */
const MAPPED_FIELDS = new Set([
  'name',
  'description',
  'personality',
  'scenario',
  'mes_example',
  'system_prompt',
  'post_history_instructions',
  'first_mes',
  'group_only_greetings',
  'character_book',
  'extensions',
]);
/** Extensions the import maps; the others are kept. */
const MAPPED_EXTENSIONS = new Set(['talkativeness', 'fg_bots']);

export function cardToImport(card: SpecCard, avatar: Avatar | null): CharacterImport {
  const data = card.data;
  const cardName = text(data, 'name', 'data', MAX_NAME_CHARS).trim();
  if (cardName === '') cardFail('data.name', 'expected a non-empty string');
  const name = rosterNameFor(cardName, 'data.name');
  const extensions = optionalObject(data, 'extensions', 'data') ?? {};
  const fgBots = readFgBots(extensions, 'data.extensions');
  const cardFields = readPromptFields(data);
  const promptText = composeCardPrompt(cardFields);
  if (promptText.length > MAX_PROMPT_CHARS) {
    cardFail(
      'data',
      `the prompt made of the card's fields is ${promptText.length} characters, at most ${MAX_PROMPT_CHARS}`,
    );
  }
  checkKeptFields(data);
  return {
    profile: {
      name,
      aliases: readAliases(name, cardName, data, fgBots.aliases),
      fallback_line: fgBots.fallback_line ?? defaultFallbackLine(cardName),
      talkativeness: readTalkativeness(extensions.talkativeness),
      organic_starters: distinctNonBlank([
        text(data, 'first_mes', 'data'),
        ...textList(data, 'group_only_greetings', 'data', MAX_GREETINGS),
      ]),
      avatar,
    },
    prompt: { prompt_text: promptText, card_fields: cardFields },
    lorebook: readCharacterBook(data.character_book, 'data.character_book', cardName),
    card: { spec_version: card.spec_version, data: keptData(data, extensions) },
  };
}

function readPromptFields(data: JsonObject): CardPromptFields {
  const field = (key: keyof CardPromptFields): string => text(data, key, 'data').trim();
  return {
    description: field('description'),
    personality: field('personality'),
    scenario: field('scenario'),
    mes_example: field('mes_example'),
    system_prompt: field('system_prompt'),
    post_history_instructions: field('post_history_instructions'),
  };
}

/** The roster name, the card's own spelling, its V3 nickname and our extension's aliases, lower-cased. */
function readAliases(name: string, cardName: string, data: JsonObject, extra: string[]): string[] {
  const nickname = text(data, 'nickname', 'data', MAX_ALIAS_CHARS);
  const aliases = distinctNonBlank([name, ...extra, cardName, nickname].map((alias) => alias.toLowerCase()));
  if (aliases.length > MAX_ALIASES)
    cardFail('data.extensions.fg_bots.aliases', `${aliases.length} aliases, at most ${MAX_ALIASES}`);
  return aliases;
}

interface FgBots {
  fallback_line: string | null;
  aliases: string[];
}

/** `extensions.fg_bots = { fallback_line, aliases }`: what this system adds to a card it exports. */
function readFgBots(extensions: JsonObject, where: string): FgBots {
  const fgBots = optionalObject(extensions, 'fg_bots', where);
  if (!fgBots) return { fallback_line: null, aliases: [] };
  const path = `${where}.fg_bots`;
  const aliases = textList(fgBots, 'aliases', path, MAX_ALIASES);
  aliases.forEach((alias, index) => {
    if (alias.length > MAX_ALIAS_CHARS)
      cardFail(`${path}.aliases[${index}]`, `${alias.length} characters, at most ${MAX_ALIAS_CHARS}`);
  });
  const fallback = text(fgBots, 'fallback_line', path, MAX_FALLBACK_CHARS).trim();
  return { fallback_line: fallback === '' ? null : fallback, aliases };
}

/** A number or a numeric string (SillyTavern writes "0.5"), from 0 to 1. */
function readTalkativeness(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_TALKATIVENESS;
  const number = typeof value === 'string' && /^\s*[\d.]+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !(number >= 0 && number <= 1)) {
    cardFail('data.extensions.talkativeness', `expected a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** Posted when the LLM cannot answer: neutral enough for any character, and says who it is. */
function defaultFallbackLine(cardName: string): string {
  return `${cardName} is lost for words for a moment. Ask again?`;
}

/** Kept fields the export writes back as typed V3 fields must have those types. */
function checkKeptFields(data: JsonObject): void {
  for (const key of ['creator_notes', 'creator', 'character_version']) text(data, key, 'data');
  textList(data, 'tags', 'data', MAX_TAGS);
  textList(data, 'alternate_greetings', 'data', MAX_GREETINGS);
  const assets = data.assets;
  if (assets !== undefined && assets !== null && !(Array.isArray(assets) && assets.every(isJsonObject))) {
    cardFail('data.assets', `expected an array of objects, got ${describeJson(assets)}`);
  }
}

function keptData(data: JsonObject, extensions: JsonObject): JsonObject {
  const kept = Object.fromEntries(Object.entries(data).filter(([key]) => !MAPPED_FIELDS.has(key)));
  const keptExtensions = Object.fromEntries(
    Object.entries(extensions).filter(([key]) => !MAPPED_EXTENSIONS.has(key)),
  );
  return { ...kept, extensions: keptExtensions };
}
