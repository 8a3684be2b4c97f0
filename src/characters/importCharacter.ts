/**
 * Writing a character into the store: a card import (prompt version, lorebook, roster entry) and an
 * admin's new character (prompt v1.0, roster entry). FerretDB v1 has no transactions, so each write is
 * undone in reverse when a later one fails: a character is never half there. The roster entry is
 * written last, since it is what makes a character answer.
 */
import { CharacterExistsError, UnknownCharacterError, type NewCharacter } from '../store/characterRoster';
import { SEED_PROMPT_VERSION, type CharacterPrompts } from '../store/characterPrompts';
import { isDuplicateKeyError } from '../store/errors';
import { characterScope } from '../store/lorebooks';
import type { Store } from '../store/mongo';
import type { CardPromptFields, CharacterImport, CharacterProfile } from './profile';

type RosterStores = Pick<Store, 'characterRoster' | 'characterPrompts' | 'lorebooks'>;

export interface ImportResult {
  name: string;
  prompt_version: string;
  lore_entries: number;
  starters: number;
}

/** One write and how to take it back. */
type Undo = () => Promise<unknown>;

/**
 * Imports a card's character. Without `replace` an existing name (any case) is a CharacterExistsError
 * and nothing is written; with it the card's prompt becomes the default (promoted, in the change log),
 * its lorebook replaces the character's, and its profile fields overwrite the roster entry's.
 */
export async function importCharacter(
  store: RosterStores,
  imp: CharacterImport,
  options: { replace: boolean; by: string },
): Promise<ImportResult> {
  const existing = await store.characterRoster.find(imp.profile.name);
  if (existing && !options.replace) throw new CharacterExistsError(existing.name);
  const name = existing?.name ?? imp.profile.name;
  const undo: Undo[] = [];
  try {
    const version = await writeDefaultPrompt(store.characterPrompts, undo, {
      name,
      prefix: 'card',
      text: imp.prompt.prompt_text,
      fallback: imp.profile.fallback_line,
      cardFields: imp.prompt.card_fields,
      by: options.by,
      reason: 'imported from a character card',
    });
    await writeCharacterLore(store, undo, name, imp, options.by);
    const profile = {
      aliases: imp.profile.aliases,
      fallback_line: imp.profile.fallback_line,
      talkativeness: imp.profile.talkativeness,
      organic_starters: imp.profile.organic_starters,
      card: imp.card,
      source: 'card' as const,
    };
    if (existing)
      await store.characterRoster.update(name, {
        ...profile,
        ...(imp.profile.avatar && { avatar: imp.profile.avatar }),
      });
    else await store.characterRoster.add({ ...profile, name, avatar: imp.profile.avatar, avatar_url: null });
    return {
      name,
      prompt_version: version,
      lore_entries: imp.lorebook?.entries.length ?? 0,
      starters: imp.profile.organic_starters.length,
    };
  } catch (err) {
    await undoAll(undo);
    throw err;
  }
}

/**
 * Adds an admin's character: its prompt (v1.0, or the next admin-N when the name has old versions)
 * as the default, then the roster entry. CharacterExistsError when the name is taken.
 */
export async function addCharacter(
  store: RosterStores,
  character: Omit<NewCharacter, 'card' | 'source' | 'avatar'> & { prompt_text: string },
  by: string,
): Promise<{ profile: CharacterProfile; prompt_version: string }> {
  const { prompt_text, ...entry } = character;
  if (await store.characterRoster.find(entry.name)) throw new CharacterExistsError(entry.name);
  const undo: Undo[] = [];
  try {
    const version = await writeDefaultPrompt(store.characterPrompts, undo, {
      name: entry.name,
      prefix: 'admin',
      text: prompt_text,
      fallback: entry.fallback_line,
      cardFields: null,
      by,
      reason: 'added through the admin API',
    });
    const profile = await store.characterRoster.add({ ...entry, avatar: null, source: 'admin', card: null });
    return { profile, prompt_version: version };
  } catch (err) {
    await undoAll(undo);
    throw err;
  }
}

/** Everything an export needs from the store; UnknownCharacterError when there is no such character. */
export async function characterForExport(store: RosterStores, name: string) {
  const profile = await store.characterRoster.find(name);
  if (!profile) throw new UnknownCharacterError(name);
  const [prompt, lore] = await Promise.all([
    store.characterPrompts.findDefault(profile.name),
    store.lorebooks.get(characterScope(profile.name)),
  ]);
  return {
    profile,
    promptText: prompt?.prompt_text ?? '',
    cardFields: prompt?.card_fields ?? null,
    lorebook: lore?.book ?? null,
  };
}

/**
 * Stores `text` as the character's new default prompt version: `v1.0` for a character without
 * versions, else the next free `<prefix>-N` (created, then promoted with a change-log entry).
 */
async function writeDefaultPrompt(
  prompts: CharacterPrompts,
  undo: Undo[],
  input: {
    name: string;
    prefix: 'card' | 'admin';
    text: string;
    fallback: string;
    cardFields: CardPromptFields | null;
    by: string;
    reason: string;
  },
): Promise<string> {
  const versions = await prompts.list(input.name);
  const first = versions.length === 0;
  const version =
    first && input.prefix === 'admin' ? SEED_PROMPT_VERSION : nextVersion(versions, input.prefix);
  try {
    await prompts.create({
      character_name: input.name,
      prompt_version: version,
      prompt_text: input.text,
      is_default: first,
      ab_test_percentage: 0,
      fallback_line: input.fallback,
      based_on: null,
      created_by: input.by,
      reason: input.reason,
      card_fields: input.cardFields,
    });
  } catch (err) {
    // Another import or add of the same name wrote this version first.
    if (isDuplicateKeyError(err)) throw new CharacterExistsError(input.name);
    throw err;
  }
  undo.push(() => prompts.deleteVersion(input.name, version));
  if (first) return version;
  const replaced = await prompts.promote(input.name, version, input.by, input.reason);
  if (replaced)
    undo.push(() =>
      prompts.promote(input.name, replaced, input.by, `restored: the import of ${version} failed`),
    );
  return version;
}

/** `<prefix>-N` with N one past the highest such version. */
function nextVersion(versions: Array<{ prompt_version: string }>, prefix: string): string {
  const numbers = versions.map((v) => new RegExp(`^${prefix}-(\\d+)$`).exec(v.prompt_version)?.[1]);
  return `${prefix}-${Math.max(0, ...numbers.map(Number).filter(Number.isFinite)) + 1}`;
}

/** The card's lorebook becomes the character's (a card without one removes the old one). */
async function writeCharacterLore(
  store: RosterStores,
  undo: Undo[],
  name: string,
  imp: CharacterImport,
  by: string,
): Promise<void> {
  const scope = characterScope(name);
  const previous = await store.lorebooks.get(scope);
  if (!previous && !imp.lorebook) return;
  undo.push(() =>
    previous ? store.lorebooks.put(scope, previous.book, previous.updated_by) : store.lorebooks.delete(scope),
  );
  if (imp.lorebook) await store.lorebooks.put(scope, imp.lorebook, by);
  else await store.lorebooks.delete(scope);
}

/** Takes the writes back, newest first; every undo is tried even when one fails. */
async function undoAll(undo: Undo[]): Promise<void> {
  for (const step of undo.reverse()) await step().catch(() => undefined);
}
