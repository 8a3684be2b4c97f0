import {
  Locale,
  PermissionFlagsBits as P,
  type APIGuildMemberNoUser,
  type APIRole,
  type APITextChannel,
  type APIUser,
  type GatewayGuildCreateDispatchData,
} from 'discord.js';
import { snowflakeTime } from './snowflake';

// Discord objects as the fake sends them: the fields it has no model for carry what a fresh guild,
// account or member reports.

/** An empty bit field: discord-api-types' flag enums have no 0 member, hence the cast. */
export const NO_FLAGS = 0 as never;

/**
 * Usual @everyone permissions of a new guild: what interactions report for members unless a test says
 * otherwise, and (with Manage Webhooks) for bots. The fake enforces only Manage Webhooks and a
 * command's default_member_permissions.
 */
export const EVERYONE_PERMISSIONS = (
  P.ViewChannel |
  P.SendMessages |
  P.ReadMessageHistory |
  P.AddReactions |
  P.EmbedLinks |
  P.AttachFiles
).toString();

export function makeUser(id: string, username: string, bot = false): APIUser {
  const user: APIUser = { id, username, discriminator: '0', global_name: username, avatar: null };
  return { ...user, public_flags: NO_FLAGS, flags: NO_FLAGS, ...(bot && { bot: true }) };
}

/** Members have no roles or nicknames here, and all joined with the guild; nested without their user. */
export function memberFields(guildId: string): APIGuildMemberNoUser {
  return {
    nick: null,
    avatar: null,
    banner: null,
    roles: [],
    joined_at: snowflakeTime(guildId),
    deaf: false,
    mute: false,
    flags: NO_FLAGS,
  };
}

/** The @everyone role, which has the guild's id. */
function everyoneRole(guildId: string): APIRole {
  return {
    id: guildId,
    name: '@everyone',
    permissions: EVERYONE_PERMISSIONS,
    position: 0,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    managed: false,
    mentionable: false,
    icon: null,
    unicode_emoji: null,
    flags: NO_FLAGS,
  };
}

/** What a fresh guild without features reports for everything the fake does not model. */
const FRESH_GUILD = {
  icon: null,
  splash: null,
  discovery_splash: null,
  banner: null,
  description: null,
  region: 'us-east',
  afk_channel_id: null,
  afk_timeout: 300,
  verification_level: 0,
  default_message_notifications: 0,
  explicit_content_filter: 0,
  mfa_level: 0,
  nsfw_level: 0,
  premium_tier: 0,
  premium_subscription_count: 0,
  application_id: null,
  system_channel_id: null,
  system_channel_flags: NO_FLAGS,
  rules_channel_id: null,
  public_updates_channel_id: null,
  safety_alerts_channel_id: null,
  vanity_url_code: null,
  hub_type: null,
  max_video_channel_users: 25,
  max_stage_video_channel_users: 50,
  premium_progress_bar_enabled: false,
  emojis: [],
  stickers: [],
  features: [],
  incidents_data: null,
  preferred_locale: Locale.EnglishUS,
  voice_states: [],
  threads: [],
  presences: [],
  stage_instances: [],
  guild_scheduled_events: [],
  soundboard_sounds: [],
} satisfies Partial<GatewayGuildCreateDispatchData>;

/** GUILD_CREATE for one of the fake's guilds. */
export function guildCreateData(guild: {
  id: string;
  name: string;
  ownerId: string;
  members: APIUser[];
  channels: APITextChannel[];
}): GatewayGuildCreateDispatchData {
  const members = guild.members.map((user) => ({ ...memberFields(guild.id), user }));
  return {
    id: guild.id,
    name: guild.name,
    owner_id: guild.ownerId,
    roles: [everyoneRole(guild.id)],
    channels: guild.channels,
    members,
    member_count: members.length,
    joined_at: snowflakeTime(guild.id),
    large: false,
    unavailable: false,
    ...FRESH_GUILD,
  };
}
