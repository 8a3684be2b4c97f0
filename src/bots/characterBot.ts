import type { Client as TemporalClient } from '@temporalio/client';
import { ChannelType, Client, Events, GatewayIntentBits, Partials, type Message } from 'discord.js';
import type { RosterView } from '../characters/liveRoster';
import { displayName } from '../characters/names';
import type { Logger } from '../logger';
import type { GatewayStatus } from '../store/gatewayStatus';
import type { ReplyWorkflow } from '../workflows/reply';
import { REPLY_WORKFLOW_TYPE, replyWorkflowId, type IncomingMessage } from '../workflows/contracts/reply';
import type { FollowUpPolicy } from '../workflows/contracts/followUp';
import type { CoordinateWorkflow } from '../workflows/coordinate';
import {
  COORDINATE_WORKFLOW_TYPE,
  coordinateWorkflowId,
  type CoordinatorPolicy,
} from '../workflows/contracts/coordinate';
import { addressedCharacters, addressesNobody, type MessageFacts } from './addressing';
import { reportGatewayStatus } from './gatewayStatus';
import { attachCommands } from './commands';
import { attachRatings } from './ratings';
import { attachRegenerateReactions } from './regenerate';
import type { Sharding } from './sharding';
import { startWorkflowOnce } from './startWorkflowOnce';

/**
 * Who a gateway client speaks for: one character (its own Discord application), or the cast
 * (webhook mode: one application posting as every character without a token of its own).
 */
export type Voice =
  /** `character`: the name of its DISCORD_TOKEN_<NAME>, in any case (the roster may only import it later). */
  { kind: 'character'; character: string } | { kind: 'cast' };

/** The Discord user ids of the logged-in bots, shared by the clients of a process. */
export interface BotUsers {
  /** Per lower-cased character name. */
  characters: Map<string, string>;
  cast: string | null;
}

export interface CharacterBotOptions {
  voice: Voice;
  /** The characters the cast speaks for right now (those without a token of their own). */
  castCharacters: () => string[];
  token: string;
  /** Discord REST base, e.g. https://discord.com/api (a local fake in tests). */
  apiUrl: string;
  temporal: TemporalClient;
  taskQueue: string;
  roster: RosterView;
  /** Filled in by each client at login. */
  users: BotUsers;
  /** How other characters may answer a reply in a channel (absent: they do not). */
  followUpsIn: (channelId: string) => Promise<FollowUpPolicy | undefined>;
  /** How the coordinator answers messages naming no character in a channel (absent: nobody does). */
  unnamedIn: (channelId: string) => Promise<CoordinatorPolicy | undefined>;
  /** DISCORD_COMMANDS_GUILD_ID: slash commands registered in this server only; undefined: globally. */
  commandsGuildId: string | undefined;
  /** The gateway shards this process runs (the same for every client). */
  sharding: Sharding;
  /** Where the gateway state of each shard is recorded for the dashboard; absent: nowhere. */
  gatewayStatus?: GatewayStatus;
  log: Logger;
}

export interface CharacterBot {
  /** The character's name, or "cast" for the webhook-mode bot. */
  character: string;
  client: Client;
  stop(): Promise<void>;
}

/** The name a voice goes by in logs, the gateway status and the banner. */
export const CAST_BOT_NAME = 'cast';
const voiceName = (voice: Voice) => (voice.kind === 'cast' ? CAST_BOT_NAME : voice.character);

/**
 * One discord.js gateway client per voice. It only decides whether its characters are addressed
 * (and present in the channel's cast) and starts a ReplyWorkflow per character; it never waits for
 * the LLM.
 */
export async function startCharacterBot(options: CharacterBotOptions): Promise<CharacterBot> {
  const { voice, temporal, taskQueue, roster, users } = options;
  const name = voiceName(voice);
  // Every line says which shards it comes from: with several bots processes, that tells them apart.
  const log = options.log.child({ character: name, shards: options.sharding.shards });
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.GuildMessageReactions, // rating and regenerate reactions
      GatewayIntentBits.DirectMessageReactions,
    ],
    // DM channels arrive uncached; reactions may concern messages and users not in the cache.
    partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
    rest: { api: options.apiUrl },
    shards: options.sharding.shards,
    ...(options.sharding.shardCount !== undefined && { shardCount: options.sharding.shardCount }),
  });

  /** This bot's character as the roster spells it now; null while it is not (or no longer) active. */
  const ownCharacter = (): string | null =>
    voice.kind === 'character' ? (roster.find(voice.character)?.name ?? null) : null;
  /** The characters this client answers for, of those a message addresses. */
  const ownOf = (addressed: string[]): string[] =>
    voice.kind === 'character'
      ? addressed.filter((character) => character === ownCharacter())
      : addressed.filter((character) => options.castCharacters().includes(character));

  /** The character who wrote a message this client posted (its bot's own, or a cast webhook's), else null. */
  const authorOf = (message: Message): string | null =>
    voice.kind === 'character'
      ? message.author.id === client.user?.id
        ? ownCharacter()
        : null
      : castAuthorOf(message, options.castCharacters());
  attachRatings({ client, authorOf, temporal, taskQueue, log });
  attachRegenerateReactions({ client, authorOf, temporal, taskQueue, log });
  attachCommands({
    client,
    characterOf: () => (voice.kind === 'character' ? (ownCharacter() ?? voice.character) : null),
    guildId: options.commandsGuildId,
    context: {
      temporal,
      taskQueue,
      roster,
      castCharacters: options.castCharacters,
      botUserOf: (character) => users.characters.get(character.toLowerCase()) ?? null,
      log,
    },
  });
  const gateway =
    options.gatewayStatus &&
    reportGatewayStatus({ client, character: name, status: options.gatewayStatus, log });

  client.on(Events.MessageCreate, (message) => {
    void onMessage(message).catch((err: unknown) =>
      log.error({ err, messageId: message.id }, 'message handling failed'),
    );
  });

  async function onMessage(message: Message): Promise<void> {
    if (message.author.bot) return; // its own posts and other bots' (bot-to-bot chains are bounded elsewhere)
    const present = await roster.presentIn(message.channelId);
    const members = present.map((character) => ({
      name: character.name,
      aliases: character.aliases,
      userId: users.characters.get(character.name.toLowerCase()) ?? null,
    }));
    const facts = await messageFacts(message, users.cast);
    const addressed = addressedCharacters(facts, members, ownCharacter());
    const own = ownOf(addressed);
    const unnamed = addressesNobody(facts, addressed);
    if (own.length === 0 && !unnamed) return;
    const incoming: IncomingMessage = {
      messageId: message.id,
      channelId: message.channelId,
      guildId: message.guildId,
      authorId: message.author.id,
      authorName: message.author.username,
      content: message.content,
      createdAt: message.createdAt.toISOString(),
    };
    if (unnamed) return coordinate(incoming);
    const followUps = await options.followUpsIn(message.channelId);
    const shardId = shardOf(message);
    const started = await Promise.all(
      own.map((character) => startReply(character, incoming, followUps, shardId)),
    );
    if (started.some(Boolean) && 'sendTyping' in message.channel) {
      await message.channel
        .sendTyping()
        .catch((err: unknown) => log.debug({ err }, 'typing indicator failed'));
    }
  }

  /** Starts the workflow; false when this message already has one (a gateway redelivery). */
  async function startReply(
    character: string,
    message: IncomingMessage,
    followUps: FollowUpPolicy | undefined,
    shardId: number,
  ): Promise<boolean> {
    const workflowId = replyWorkflowId(message.messageId, character);
    const { duplicate } = await startWorkflowOnce<typeof ReplyWorkflow>(
      temporal,
      REPLY_WORKFLOW_TYPE,
      { taskQueue, workflowId, args: [{ character, message, ...(followUps && { followUps }) }] },
      log,
    );
    const context = { messageId: message.messageId, workflowId, channelId: message.channelId };
    if (duplicate) log.info(context, 'duplicate delivery of a message: already answered');
    else log.info({ ...context, guildId: message.guildId, shardId }, 'reply workflow started');
    return !duplicate;
  }

  /**
   * A message naming no character, in a channel where the coordinator answers those: every voice that
   * sees it starts the same workflow id, which Temporal runs once.
   */
  async function coordinate(message: IncomingMessage): Promise<void> {
    const policy = await options.unnamedIn(message.channelId);
    if (!policy) return;
    const followUps = await options.followUpsIn(message.channelId);
    const workflowId = coordinateWorkflowId(message.messageId);
    const { duplicate } = await startWorkflowOnce<typeof CoordinateWorkflow>(
      temporal,
      COORDINATE_WORKFLOW_TYPE,
      { taskQueue, workflowId, args: [{ message, policy, ...(followUps && { followUps }) }] },
      log,
    );
    // Each of the other voices finds it started: expected, not worth an info line.
    if (!duplicate) log.info({ messageId: message.messageId, workflowId }, 'coordinator started');
  }

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(options.token);
  await ready;
  const userId = client.user?.id ?? null;
  if (voice.kind === 'cast') users.cast = userId;
  else if (userId) users.characters.set(voice.character.toLowerCase(), userId);
  // With 'auto', discord.js has now filled in the shards Discord recommended.
  const { shards, shardCount } = client.options;
  log.info({ userId, shards, shardCount }, 'bot logged in to Discord');
  return {
    character: name,
    client,
    stop: async () => {
      await gateway?.stop();
      await client.destroy();
    },
  };
}

/** What addressing needs to know about a message, the character of a replied-to webhook post included. */
async function messageFacts(message: Message, castUserId: string | null): Promise<MessageFacts> {
  const mentionedUserIds = [...message.mentions.users.keys()];
  return {
    isDirectMessage: message.channel.type === ChannelType.DM,
    content: message.content,
    mentionedUserIds,
    repliedToUserId: message.mentions.repliedUser?.id ?? null,
    repliedToCharacter: await repliedWebhookName(message),
    mentionsCastBot: castUserId !== null && mentionedUserIds.includes(castUserId),
  };
}

/**
 * The name a replied-to webhook post was made under (a character's, in webhook mode). Discord sends the
 * replied-to message along, which discord.js caches; only when it is missing is it fetched.
 */
async function repliedWebhookName(message: Message): Promise<string | null> {
  const referenceId = message.reference?.messageId;
  if (!referenceId) return null;
  const referenced =
    message.channel.messages.cache.get(referenceId) ?? (await message.fetchReference().catch(() => null));
  return referenced?.webhookId ? referenced.author.username : null;
}

/** The cast character whose webhook post a message is (for reactions on it), else null. */
function castAuthorOf(message: Message, castCharacters: string[]): string | null {
  if (!message.webhookId) return null;
  return castCharacters.find((character) => displayName(character) === message.author.username) ?? null;
}

/** The shard that delivered a message: its guild's (discord.js records it at GUILD_CREATE); DMs come on shard 0. */
function shardOf(message: Message): number {
  return message.guild?.shardId ?? 0;
}
