import { readFileSync } from 'node:fs';
import { BUILTIN_CHARACTERS } from './builtin';
import { normalisedAliases, ROSTER_NAME } from './names';

/** How likely a character answers another's line unprompted, when nothing says otherwise. */
export const DEFAULT_TALKATIVENESS = 0.3;

/** A character the system can play. Prompts live in `character_prompts`; this is the seed. */
export interface CharacterDefinition {
  /** Display name, also `bot_name` in conversation_history, e.g. "Peter". */
  name: string;
  /** Lower-case words that address this character when they appear in a message. */
  aliases: string[];
  /** System prompt seeded as version v1.0. */
  promptText: string;
  /** Posted in character when the LLM cannot answer. */
  fallbackLine: string;
  /** Chance (0-1) of answering another character's line unprompted (default 0.3). */
  talkativeness?: number;
}

/**
 * The roster: the built-in characters plus any from CHARACTERS_FILE (a JSON array of
 * CharacterDefinition; an entry with a built-in name overrides it), filtered to the
 * names in CHARACTERS. Adding a character = an entry in that file, its name in
 * CHARACTERS, and DISCORD_TOKEN_<NAME> for its bot.
 */
export function loadRoster(enabled: string[], charactersFile?: string): CharacterDefinition[] {
  const known = new Map(BUILTIN_CHARACTERS.map((c) => [c.name.toLowerCase(), c]));
  if (charactersFile) {
    for (const character of readCharactersFile(charactersFile))
      known.set(character.name.toLowerCase(), character);
  }
  return enabled.map((name) => {
    const character = known.get(name.toLowerCase());
    if (!character) {
      throw new Error(
        `CHARACTERS names "${name}", which is neither built in (${BUILTIN_CHARACTERS.map((c) => c.name).join(', ')}) nor defined in CHARACTERS_FILE`,
      );
    }
    return character;
  });
}

function readCharactersFile(path: string): CharacterDefinition[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`CHARACTERS_FILE ${path}: cannot read JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`CHARACTERS_FILE ${path}: expected a JSON array of characters`);
  return parsed.map((entry, index) => validateCharacter(entry, `CHARACTERS_FILE ${path}[${index}]`));
}

function validateCharacter(entry: unknown, where: string): CharacterDefinition {
  const e = entry as Partial<Record<keyof CharacterDefinition, unknown>>;
  const text = (key: 'name' | 'promptText' | 'fallbackLine'): string => {
    const value = e?.[key];
    if (typeof value !== 'string' || value.trim() === '')
      throw new Error(`${where}: "${key}" must be a non-empty string`);
    return value.trim();
  };
  const name = text('name');
  if (!ROSTER_NAME.test(name)) {
    throw new Error(
      `${where}: "name" must be a letter then letters, digits or _ (it names DISCORD_TOKEN_<NAME>)`,
    );
  }
  const aliases = e.aliases ?? [];
  if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string' && a.trim() !== '')) {
    throw new Error(`${where}: "aliases" must be an array of non-empty strings`);
  }
  const talkativeness = e.talkativeness;
  if (
    talkativeness !== undefined &&
    (typeof talkativeness !== 'number' || !(talkativeness >= 0 && talkativeness <= 1))
  ) {
    throw new Error(`${where}: "talkativeness" must be a number from 0 to 1`);
  }
  return {
    name,
    aliases: normalisedAliases(name, aliases as string[]),
    promptText: text('promptText'),
    fallbackLine: text('fallbackLine'),
    ...(talkativeness === undefined ? {} : { talkativeness }),
  };
}
