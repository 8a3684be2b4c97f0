import { ROSTER_NAME } from '../characters/names';
import type { Collection, Db } from 'mongodb';
import type { Lorebook, LoreScope } from '../lore/types';

/** A book as stored: `_id` is its scope (one book per scope, found by `_id`). */
interface LorebookDocument {
  _id: LoreScope;
  book: Lorebook;
  updated_at: Date;
  /** "admin", "card import", ... */
  updated_by: string;
}

export interface StoredLorebook {
  scope: LoreScope;
  book: Lorebook;
  updated_at: Date;
  updated_by: string;
}

const CHANNEL_ID = /^[\w-]{1,64}$/;

/**
 * `text` as a LoreScope (a character's name lower-cased), or null when it is none: `global`,
 * `character:<roster name>` or `channel:<channel id>`.
 */
export function parseLoreScope(text: string): LoreScope | null {
  if (text === 'global') return 'global';
  const [kind, id = ''] = text.split(/:(.*)/s);
  if (kind === 'character' && ROSTER_NAME.test(id)) return `character:${id.toLowerCase()}`;
  if (kind === 'channel' && CHANNEL_ID.test(id)) return `channel:${id}`;
  return null;
}

export const characterScope = (name: string): LoreScope => `character:${name.toLowerCase()}`;

/** Lorebooks (`lorebooks`): world info attached globally, to a character or to a channel. */
export class Lorebooks {
  readonly collection: Collection<LorebookDocument>;

  constructor(db: Db) {
    this.collection = db.collection<LorebookDocument>('lorebooks');
  }

  async get(scope: LoreScope): Promise<StoredLorebook | null> {
    const document = await this.collection.findOne({ _id: scope });
    return document && storedOf(document);
  }

  /** Creates or replaces the scope's book. */
  async put(scope: LoreScope, book: Lorebook, by: string): Promise<StoredLorebook> {
    const document: LorebookDocument = { _id: scope, book, updated_at: new Date(), updated_by: by };
    await this.collection.replaceOne({ _id: scope }, document, { upsert: true });
    return storedOf(document);
  }

  /** Whether there was a book to delete. */
  async delete(scope: LoreScope): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: scope })).deletedCount > 0;
  }

  /** Every book, by scope. */
  async list(): Promise<StoredLorebook[]> {
    const documents = await this.collection.find({}).toArray();
    return documents.map(storedOf).sort((a, b) => a.scope.localeCompare(b.scope));
  }

  /** The books a reply by `character` in `channelId` draws from: global, the character's, the channel's. */
  async forReply(input: {
    character: string;
    channelId: string;
  }): Promise<Array<{ scope: LoreScope; book: Lorebook }>> {
    const scopes: LoreScope[] = ['global', characterScope(input.character), `channel:${input.channelId}`];
    // One read for the three (each _id lookup is a scan on FerretDB v1 anyway).
    const documents = await this.collection.find({ _id: { $in: scopes } }).toArray();
    return scopes.flatMap((scope) => {
      const document = documents.find((d) => d._id === scope);
      return document ? [{ scope, book: document.book }] : [];
    });
  }
}

function storedOf(document: LorebookDocument): StoredLorebook {
  return {
    scope: document._id,
    book: document.book,
    updated_at: document.updated_at,
    updated_by: document.updated_by,
  };
}
