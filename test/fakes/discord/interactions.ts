import { randomBytes } from 'node:crypto';
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  GatewayDispatchEvents,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  Locale,
  MessageFlags,
  MessageType,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type APIApplicationCommand,
  type APIChatInputApplicationCommandInteraction,
  type APIMessage,
  type APIUser,
} from 'discord.js';
import { commandOptions, type CommandRegistry } from './commands';
import type { Gateway } from './gateway';
import type { ChannelRecord, Guild, HumanRef } from './guild';
import { isRecord } from './json';
import { EVERYONE_PERMISSIONS } from './objects';
import {
  checkedContent,
  fail,
  invalidForm,
  methodNotAllowed,
  parseJsonBody,
  type RestResponse,
} from './responses';
import { nextSnowflake, snowflakeTime } from './snowflake';

export interface UseCommandOptions {
  /** The bot (application) whose command is used. */
  applicationId: string;
  channelId: string;
  /** The human using it; defaults to the guild owner ('tester'), or to the DM's user in a DM. */
  user?: HumanRef;
  name: string;
  /** Option values by name (chat-input commands without subcommands). */
  options?: Record<string, string | number | boolean>;
  /**
   * The user's permissions in the channel, sent as `member.permissions` (guild channels only). Default:
   * the @everyone permissions of a new guild (EVERYONE_PERMISSIONS: no Manage Messages, no Administrator),
   * for the owner too, so a test grants what a command needs. A command whose
   * default_member_permissions this lacks is hidden from the user: useCommand then throws.
   */
  permissions?: bigint;
}

/** A bot's answer to an interaction, as the user sees it. */
export interface InteractionResponseView {
  /** 4: a message; 5: deferred ("<bot> is thinking..."). */
  type: InteractionResponseType;
  /** Only the user who used the command sees it. */
  ephemeral: boolean;
  /** The response's text; null while it is deferred and the bot has not edited it yet. */
  content: string | null;
}

interface InteractionRecord {
  id: string;
  token: string;
  applicationId: string;
  channelId: string;
  user: APIUser;
  createdAt: number;
  /** The initial response (then edited through the webhook routes); null until acknowledged. */
  response: { type: InteractionResponseType; message: APIMessage } | null;
}

/** An interaction not acknowledged within 3 s is gone, as on Discord. */
const ACKNOWLEDGE_WITHIN_MS = 3_000;

/**
 * Slash-command interactions: a human's use of a command (INTERACTION_CREATE to the command's bot) and
 * the bot's answer through the unauthenticated routes, POST /interactions/:id/:token/callback (types 4
 * and 5) and GET / PATCH /webhooks/:application/:token/messages/@original.
 */
export class Interactions {
  private readonly records = new Map<string, InteractionRecord>();

  constructor(
    private readonly guild: Guild,
    private readonly commands: CommandRegistry,
    private readonly gateway: Gateway,
    /** The bot's permissions in a channel, sent as `app_permissions`. */
    private readonly appPermissions: (channelId: string, botId: string) => bigint,
  ) {}

  /** The options must fit the registered command: a Discord client would not send anything else. */
  async use(options: UseCommandOptions): Promise<{ id: string; token: string }> {
    const channel = this.guild.knownChannel(options.channelId);
    const bot = this.guild.botById(options.applicationId);
    if (!bot) throw new Error(`unknown application ${options.applicationId}`);
    const command = this.commands.find(bot.id, options.name, channel.guildId);
    if (!command) throw new Error(`${bot.username} has not registered /${options.name}`);
    const user = this.guild.human(channel, options.user);
    if (channel.dm && (channel.dm.userId !== user.id || channel.dm.botId !== bot.id)) {
      throw new Error("a DM command is used by the DM's user with the DM's bot");
    }
    if (channel.dm && options.permissions !== undefined) throw new Error('a DM has no member permissions');
    const permissions = options.permissions ?? BigInt(EVERYONE_PERMISSIONS);
    const needed = BigInt(command.default_member_permissions ?? 0);
    const administrator = (permissions & PermissionFlagsBits.Administrator) !== 0n;
    if (!channel.dm && !administrator && (permissions & needed) !== needed) {
      throw new Error(`/${command.name} is hidden from a user without its default_member_permissions`);
    }
    const record: InteractionRecord = {
      id: nextSnowflake(),
      token: `aW50ZXJhY3Rpb24${randomBytes(24).toString('base64url')}`,
      applicationId: bot.id,
      channelId: channel.id,
      user,
      createdAt: Date.now(),
      response: null,
    };
    const interaction = this.interactionCreate(record, channel, command, options.options ?? {}, permissions);
    this.records.set(record.id, record);
    const sessions = this.gateway.sessionsSeeing(channel).filter((session) => session.bot.id === bot.id);
    await Promise.all(
      sessions.map((session) =>
        this.gateway.dispatch(session, GatewayDispatchEvents.InteractionCreate, interaction),
      ),
    );
    return { id: record.id, token: record.token };
  }

  /** How the bot answered so far (undefined while it has not acknowledged the interaction). */
  view(interactionId: string): InteractionResponseView | undefined {
    const response = this.records.get(interactionId)?.response;
    if (!response) return undefined;
    const { flags = 0 } = response.message;
    return {
      type: response.type,
      ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
      // A deferred response shows "<bot> is thinking..." until the original response is edited.
      content: flags & MessageFlags.Loading ? null : response.message.content,
    };
  }

  /** The response for an interaction route, or undefined for any other path. */
  route(method: string, path: string, query: URLSearchParams, raw: string): RestResponse | undefined {
    const callback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    const original = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(?:@|%40)original$/.exec(path);
    if (!callback && !original) return undefined;
    const body = parseJsonBody(raw);
    if (callback) {
      if (method !== 'POST') throw methodNotAllowed();
      const [, id = '', token = ''] = callback;
      return this.acknowledge(this.unacknowledged(id, token), body, query.get('with_response') === 'true');
    }
    const [, applicationId = '', token = ''] = original ?? [];
    return this.originalResponse(method, applicationId, token, body);
  }

  private interactionCreate(
    record: InteractionRecord,
    channel: ChannelRecord,
    command: APIApplicationCommand,
    options: Record<string, string | number | boolean>,
    permissions: bigint,
  ): APIChatInputApplicationCommandInteraction {
    const common = {
      id: record.id,
      application_id: record.applicationId,
      type: InteractionType.ApplicationCommand as const,
      token: record.token,
      version: 1 as const,
      data: {
        id: command.id,
        name: command.name,
        type: ApplicationCommandType.ChatInput as const,
        options: commandOptions(command, options),
        ...(command.guild_id !== undefined && { guild_id: command.guild_id }),
      },
      channel: this.guild.channelObject(channel),
      channel_id: channel.id,
      app_permissions: this.appPermissions(channel.id, record.applicationId).toString(),
      locale: Locale.EnglishUS,
      entitlements: [],
      attachment_size_limit: 10 * 1024 * 1024,
    };
    const { user } = record;
    const { guildId } = channel;
    if (guildId === null) {
      return {
        ...common,
        user,
        // "0": a DM with the app's bot user.
        authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: '0' },
        context: InteractionContextType.BotDM,
      };
    }
    return {
      ...common,
      guild_id: guildId,
      guild: { id: guildId, locale: Locale.EnglishUS, features: [] },
      guild_locale: Locale.EnglishUS,
      member: { ...this.guild.memberFields(guildId), user, permissions: permissions.toString() },
      authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: guildId },
      context: InteractionContextType.Guild,
    };
  }

  /** The interaction a callback is for, while it may still be acknowledged. */
  private unacknowledged(id: string, token: string): InteractionRecord {
    const record = this.records.get(id);
    if (
      !record ||
      record.token !== token ||
      (!record.response && Date.now() - record.createdAt > ACKNOWLEDGE_WITHIN_MS)
    ) {
      throw fail(404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
    }
    if (record.response) {
      throw fail(
        400,
        RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
        'Interaction has already been acknowledged.',
      );
    }
    return record;
  }

  /** The initial response: a message (4) or "thinking..." (5), ephemeral with flag 64. */
  private acknowledge(record: InteractionRecord, raw: unknown, withResponse: boolean): RestResponse {
    const body = isRecord(raw) ? raw : {};
    const type = body.type;
    if (
      type !== InteractionResponseType.ChannelMessageWithSource &&
      type !== InteractionResponseType.DeferredChannelMessageWithSource
    ) {
      throw invalidForm('type', 'BASE_TYPE_CHOICES', 'Value must be one of {4, 5} (all this fake supports).');
    }
    const deferred = type === InteractionResponseType.DeferredChannelMessageWithSource;
    const data = isRecord(body.data) ? body.data : {};
    const content = deferred ? '' : data.content;
    if (typeof content !== 'string' || [...content].length > 2000) {
      throw invalidForm('data.content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
    }
    if (!deferred && !content.trim()) {
      throw fail(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
    }
    const ephemeral = typeof data.flags === 'number' && (data.flags & MessageFlags.Ephemeral) !== 0;
    const flags = (ephemeral ? MessageFlags.Ephemeral : 0) | (deferred ? MessageFlags.Loading : 0);
    const message = this.responseMessage(record, content, flags);
    record.response = { type, message };
    if (!withResponse) return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: record.id,
          type: InteractionType.ApplicationCommand,
          response_message_id: message.id,
          response_message_loading: deferred,
          response_message_ephemeral: ephemeral,
        },
        resource: { type, ...(!deferred && { message }) },
      },
    };
  }

  private responseMessage(record: InteractionRecord, content: string, flags: number): APIMessage {
    const id = nextSnowflake();
    return {
      id,
      channel_id: record.channelId,
      author: this.guild.userById(record.applicationId),
      content,
      timestamp: snowflakeTime(id),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: MessageType.ChatInputCommand,
      flags,
      components: [],
      webhook_id: record.applicationId,
      application_id: record.applicationId,
      interaction_metadata: {
        id: record.id,
        type: InteractionType.ApplicationCommand,
        user: record.user,
        authorizing_integration_owners: {},
      },
    };
  }

  /** GET / PATCH of the original response; editing a deferred one ends its "thinking...". */
  private originalResponse(method: string, applicationId: string, token: string, raw: unknown): RestResponse {
    const record = [...this.records.values()].find(
      (candidate) => candidate.token === token && candidate.applicationId === applicationId,
    );
    if (!record) throw fail(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
    const message = record.response?.message;
    if (!message) throw fail(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    if (method === 'GET') return { status: 200, body: structuredClone(message) };
    if (method !== 'PATCH') throw methodNotAllowed();
    const edit = isRecord(raw) ? raw : {};
    if (edit.content !== undefined && edit.content !== null) message.content = checkedContent(edit.content);
    const wasLoading = (message.flags ?? 0) & MessageFlags.Loading;
    message.flags = (message.flags ?? 0) & ~MessageFlags.Loading;
    if (!wasLoading) message.edited_timestamp = snowflakeTime(nextSnowflake());
    return { status: 200, body: structuredClone(message) };
  }
}
