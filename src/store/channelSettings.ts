import type { Collection, Db } from 'mongodb';

/** A channel's own settings; null fields mean "as everywhere else". */
export interface ChannelSettingsEntry {
  channel_id: string;
  /** The characters present (roster spelling); null: every active character. */
  cast: string[] | null;
  /** Added to the prompt of every reply in the channel. */
  scenario: string | null;
  /** Most character-to-character follow-ups in a row here; null: FOLLOW_UP_MAX_CHAIN. */
  follow_up_max_chain: number | null;
  updated_at: Date;
  updated_by: string;
}

export type ChannelSettingsPatch = Partial<
  Pick<ChannelSettingsEntry, 'cast' | 'scenario' | 'follow_up_max_chain'>
>;

/** As stored: `_id` is the channel id. */
type ChannelSettingsDocument = Omit<ChannelSettingsEntry, 'channel_id'> & { _id: string };

/** Casts, scenarios and follow-up settings per Discord channel (`channel_settings`). */
export class ChannelSettings {
  readonly collection: Collection<ChannelSettingsDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ChannelSettingsDocument>('channel_settings');
  }

  /** The channel's settings, null when it has none (everything as elsewhere). */
  async get(channelId: string): Promise<ChannelSettingsEntry | null> {
    const document = await this.collection.findOne({ _id: channelId });
    return document && settingsOf(document);
  }

  /** Changes the given fields (the others stay, or start null). Returns the settings as now. */
  async put(channelId: string, patch: ChannelSettingsPatch, by: string): Promise<ChannelSettingsEntry> {
    const current = await this.get(channelId);
    const document: ChannelSettingsDocument = {
      _id: channelId,
      cast: current?.cast ?? null,
      scenario: current?.scenario ?? null,
      follow_up_max_chain: current?.follow_up_max_chain ?? null,
      ...patch,
      updated_at: new Date(),
      updated_by: by,
    };
    await this.collection.replaceOne({ _id: channelId }, document, { upsert: true });
    return settingsOf(document);
  }

  /** Whether the channel had settings. */
  async delete(channelId: string): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: channelId })).deletedCount > 0;
  }

  async list(): Promise<ChannelSettingsEntry[]> {
    const documents = await this.collection.find({}).toArray();
    return documents.map(settingsOf).sort((a, b) => a.channel_id.localeCompare(b.channel_id));
  }
}

function settingsOf({ _id, ...settings }: ChannelSettingsDocument): ChannelSettingsEntry {
  return { channel_id: _id, ...settings };
}
