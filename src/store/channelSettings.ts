import type { Collection, Db } from 'mongodb';

/**
 * Who answers a message that names no character: nobody (`addressed-only`), or the coordinator's pick
 * while the characters are part of the conversation (`coordinator`, see src/workflows/coordinate.ts).
 */
export const UNNAMED_MESSAGE_MODES = ['addressed-only', 'coordinator'] as const;
export type UnnamedMessages = (typeof UNNAMED_MESSAGE_MODES)[number];

/** A channel's own settings; null fields mean "as everywhere else". */
export interface ChannelSettingsEntry {
  channel_id: string;
  /** The characters present (roster spelling); null: every active character. */
  cast: string[] | null;
  /** Added to the prompt of every reply in the channel. */
  scenario: string | null;
  /** Most character-to-character follow-ups in a row here; null: FOLLOW_UP_MAX_CHAIN. */
  follow_up_max_chain: number | null;
  /** Who answers a message naming no character here; null: UNNAMED_MESSAGES. */
  unnamed_messages: UnnamedMessages | null;
  /** Coordinator: the chance (0-1) a character joins outside a conversation; null: UNNAMED_JOIN_CHANCE. */
  join_chance: number | null;
  /** Replies here are posted early and edited as the model writes (only with QC off); null: LIVE_REPLIES. */
  live_replies: boolean | null;
  updated_at: Date;
  updated_by: string;
}

export type ChannelSettingsPatch = Partial<
  Pick<
    ChannelSettingsEntry,
    'cast' | 'scenario' | 'follow_up_max_chain' | 'unnamed_messages' | 'join_chance' | 'live_replies'
  >
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
      unnamed_messages: current?.unnamed_messages ?? null,
      join_chance: current?.join_chance ?? null,
      live_replies: current?.live_replies ?? null,
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
  // Documents from before the unnamed-message and live-reply settings lack them: as everywhere.
  return {
    channel_id: _id,
    ...settings,
    unnamed_messages: settings.unnamed_messages ?? null,
    join_chance: settings.join_chance ?? null,
    live_replies: settings.live_replies ?? null,
  };
}
