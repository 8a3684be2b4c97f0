import type { Collection, Db } from 'mongodb';
import type { CardPromptFields } from '../characters/profile';
import type { CharacterDefinition } from '../characters/roster';
import { isDuplicateKeyError } from './errors';
import { createIndexes } from './indexes';

/** One entry of a version's change log: nothing about a prompt is changed without one. */
export interface PromptChange {
  timestamp: Date;
  action: 'created' | 'promoted' | 'demoted' | 'traffic';
  /** "seed", "admin", "prompt_review", "prompt_optimizer", or an admin's name. */
  by: string;
  reason: string;
  /** promoted: the default it replaced (what a rollback returns to). */
  replaced_version?: string | null;
  /** traffic: the new ab_test_percentage. */
  ab_test_percentage?: number;
}

/** A versioned system prompt, as in the design document's `character_prompts`. */
export interface CharacterPrompt {
  character_name: string;
  prompt_version: string;
  prompt_text: string;
  is_default: boolean;
  /** Share of sessions (0-100) that use this version while it is not the default. */
  ab_test_percentage: number;
  creation_date: Date;
  /** Refreshed by PromptReviewWorkflow (see src/prompts/metrics.ts for the keys). */
  performance_metrics: Record<string, number>;
  /** Posted in character when the LLM fails. */
  fallback_line: string;
  /** When it last became the default; the newest wins if two ever claim it. */
  default_since: Date | null;
  /** The version it was derived from (optimiser challengers), else null. */
  based_on: string | null;
  /** Who made it: "seed", "admin", or the optimiser workflow's id (its idempotency key). */
  created_by: string;
  change_log: PromptChange[];
  /** A version made from a Character Card: the card fields its text was composed from (exported again). */
  card_fields?: CardPromptFields | null;
}

/** The prompt version a reply uses (the session's A/B choice) and its fallback line. */
export type PromptChoice = Pick<CharacterPrompt, 'prompt_version' | 'prompt_text' | 'fallback_line'>;

export const SEED_PROMPT_VERSION = 'v1.0';

export class UnknownPromptVersionError extends Error {
  constructor(character: string, version: string) {
    super(`character "${character}" has no prompt version "${version}"`);
    this.name = 'UnknownPromptVersionError';
  }
}

/** Why a version cannot take a share of sessions (challengers together take at most 100%). */
export class PromptShareError extends Error {
  constructor(
    message: string,
    /** total: the shares would pass 100%; default: the default version takes no share. */
    readonly reason: 'total' | 'default',
  ) {
    super(message);
    this.name = 'PromptShareError';
  }
}

/**
 * Why `version` (new or existing) of a character cannot have `percentage` of sessions: the other
 * non-default versions' shares and this one together would pass 100%. Null when it can.
 */
export function shareProblem(
  versions: CharacterPrompt[],
  version: string,
  percentage: number,
): string | null {
  const others = versions
    .filter((v) => !v.is_default && v.prompt_version !== version)
    .reduce((sum, v) => sum + v.ab_test_percentage, 0);
  if (others + percentage <= 100) return null;
  const name = versions[0]?.character_name ?? 'the character';
  return `ab_test_percentage ${percentage}: other versions of ${name} already take ${others}% (at most 100% in total)`;
}

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
        await this.create({
          character_name: character.name,
          prompt_version: SEED_PROMPT_VERSION,
          prompt_text: character.promptText,
          is_default: true,
          ab_test_percentage: 0,
          fallback_line: character.fallbackLine,
          based_on: null,
          created_by: 'seed',
          reason: 'built-in prompt',
        });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err; // another process seeded it first
      }
    }
  }

  /** Stores a new version (a duplicate version name is a duplicate-key error). */
  async create(input: {
    character_name: string;
    prompt_version: string;
    prompt_text: string;
    is_default: boolean;
    ab_test_percentage: number;
    fallback_line: string;
    based_on: string | null;
    created_by: string;
    reason: string;
    card_fields?: CardPromptFields | null;
  }): Promise<CharacterPrompt> {
    const now = new Date();
    const { reason, ...fields } = input;
    const doc: CharacterPrompt = {
      ...fields,
      creation_date: now,
      performance_metrics: {},
      default_since: input.is_default ? now : null,
      change_log: [{ timestamp: now, action: 'created', by: input.created_by, reason }],
    };
    await this.collection.insertOne({ ...doc });
    return doc;
  }

  /** The character's default prompt version. */
  findDefault(characterName: string): Promise<CharacterPrompt | null> {
    return this.collection.findOne(
      { character_name: characterName, is_default: true },
      { projection: { _id: 0 }, sort: { default_since: -1, creation_date: -1 } },
    );
  }

  findVersion(characterName: string, version: string): Promise<CharacterPrompt | null> {
    return this.collection.findOne(
      { character_name: characterName, prompt_version: version },
      { projection: { _id: 0 } },
    );
  }

  findCreatedBy(characterName: string, createdBy: string): Promise<CharacterPrompt | null> {
    return this.collection.findOne(
      { character_name: characterName, created_by: createdBy },
      { projection: { _id: 0 } },
    );
  }

  /** Every version of a character (or of everyone), oldest first. */
  list(characterName?: string): Promise<CharacterPrompt[]> {
    return this.collection
      .find(characterName ? { character_name: characterName } : {}, { projection: { _id: 0 } })
      .sort({ character_name: 1, creation_date: 1 })
      .toArray();
  }

  /** The versions a reply can get: the default and every challenger with traffic. */
  async findServing(
    characterName: string,
  ): Promise<{ default: CharacterPrompt | null; challengers: CharacterPrompt[] }> {
    const [current, challengers] = await Promise.all([
      this.findDefault(characterName),
      this.collection
        .find(
          { character_name: characterName, is_default: false, ab_test_percentage: { $gt: 0 } },
          { projection: { _id: 0 } },
        )
        .sort({ creation_date: 1 })
        .toArray(),
    ]);
    return { default: current, challengers };
  }

  /**
   * Makes `version` the default (its A/B share ends) and demotes the previous one. The
   * new default is marked first, so a reader in between finds it (newest default_since).
   * Returns the version it replaced; promoting the current default changes nothing.
   */
  async promote(characterName: string, version: string, by: string, reason: string): Promise<string | null> {
    const target = await this.findVersion(characterName, version);
    if (!target) throw new UnknownPromptVersionError(characterName, version);
    const current = await this.findDefault(characterName);
    if (current?.prompt_version === version) return null;
    const now = new Date();
    const replaced = current?.prompt_version ?? null;
    await this.collection.updateOne(
      { character_name: characterName, prompt_version: version },
      {
        $set: { is_default: true, ab_test_percentage: 0, default_since: now },
        $push: { change_log: { timestamp: now, action: 'promoted', by, reason, replaced_version: replaced } },
      },
    );
    await this.collection.updateMany(
      { character_name: characterName, is_default: true, prompt_version: { $ne: version } },
      {
        $set: { is_default: false },
        $push: {
          change_log: { timestamp: now, action: 'demoted', by, reason: `${version} promoted: ${reason}` },
        },
      },
    );
    return replaced;
  }

  /** The version a rollback returns to: the one the current default replaced. */
  async rollbackTarget(characterName: string): Promise<string | null> {
    const current = await this.findDefault(characterName);
    const promotion = current?.change_log.filter((change) => change.action === 'promoted').at(-1);
    return promotion?.replaced_version ?? null;
  }

  /** Changes a non-default version's A/B share (0 retires a challenger). */
  async setTraffic(
    characterName: string,
    version: string,
    percentage: number,
    by: string,
    reason: string,
  ): Promise<void> {
    const result = await this.collection.updateOne(
      { character_name: characterName, prompt_version: version, is_default: false },
      {
        $set: { ab_test_percentage: percentage },
        $push: {
          change_log: {
            timestamp: new Date(),
            action: 'traffic',
            by,
            reason,
            ab_test_percentage: percentage,
          },
        },
      },
    );
    if (result.matchedCount === 0) throw new UnknownPromptVersionError(characterName, version);
  }

  /**
   * Sets a challenger's A/B share (an admin's change; the review retires challengers with setTraffic),
   * refusing a total over 100% (PromptShareError) and the default version. Returns the version as it is now.
   */
  async setShare(
    characterName: string,
    version: string,
    percentage: number,
    by: string,
    reason: string,
  ): Promise<CharacterPrompt> {
    const versions = await this.list(characterName);
    const target = versions.find((v) => v.prompt_version === version);
    if (!target) throw new UnknownPromptVersionError(characterName, version);
    if (target.is_default)
      throw new PromptShareError(
        `${version} is ${characterName}'s default: it serves every other session`,
        'default',
      );
    const problem = shareProblem(versions, version, percentage);
    if (problem) throw new PromptShareError(problem, 'total');
    await this.setTraffic(characterName, version, percentage, by, reason);
    return (await this.findVersion(characterName, version)) ?? target;
  }

  /** Removes a version outright: only to undo one written by an import that failed half-way. */
  async deleteVersion(characterName: string, version: string): Promise<void> {
    await this.collection.deleteOne({ character_name: characterName, prompt_version: version });
  }

  async setMetrics(characterName: string, version: string, metrics: Record<string, number>): Promise<void> {
    await this.collection.updateOne(
      { character_name: characterName, prompt_version: version },
      { $set: { performance_metrics: metrics } },
    );
  }
}
