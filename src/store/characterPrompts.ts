import type { Collection, Db } from 'mongodb';
import type { CharacterDefinition } from '../characters/roster';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';

/** A versioned system prompt, as in the design document's `character_prompts`. */
export interface CharacterPrompt {
  character_name: string;
  prompt_version: string;
  prompt_text: string;
  is_default: boolean;
  ab_test_percentage: number;
  creation_date: Date;
  performance_metrics: Record<string, number>;
  /** Posted in character when the LLM fails. */
  fallback_line: string;
}

export const SEED_PROMPT_VERSION = 'v1.0';

export class CharacterPrompts {
  readonly collection: Collection<CharacterPrompt>;

  constructor(db: Db) {
    this.collection = db.collection<CharacterPrompt>('character_prompts');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.collection, [
      { key: { character_name: 1, prompt_version: 1 }, name: 'character_version', unique: true },
      { key: { character_name: 1, is_default: 1 }, name: 'character_default' },
    ]);
  }

  /**
   * Seeds each character's v1.0 prompt as the default when the character has no
   * prompts yet. Existing versions (edited, optimised, promoted) are never overwritten.
   */
  async seedDefaults(roster: CharacterDefinition[]): Promise<void> {
    for (const character of roster) {
      if (await this.collection.findOne({ character_name: character.name })) continue;
      try {
        await this.collection.insertOne({
          character_name: character.name,
          prompt_version: SEED_PROMPT_VERSION,
          prompt_text: character.promptText,
          is_default: true,
          ab_test_percentage: 0,
          creation_date: new Date(),
          performance_metrics: {},
          fallback_line: character.fallbackLine,
        });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err; // another process seeded it first
      }
    }
  }

  /** The character's default prompt version. */
  findDefault(characterName: string): Promise<CharacterPrompt | null> {
    return this.collection.findOne(
      { character_name: characterName, is_default: true },
      { projection: { _id: 0 }, sort: { creation_date: -1 } },
    );
  }
}
