import type { Client as TemporalClient } from '@temporalio/client';
import { ChannelType, Client, Events, GatewayIntentBits, Partials, type Message } from 'discord.js';
import type { CharacterDefinition } from '../characters/roster';
import type { Logger } from '../logger';
import type { GatewayStatus } from '../store/gatewayStatus';
import type { ReplyWorkflow } from '../workflows/reply';
import { REPLY_WORKFLOW_TYPE, replyWorkflowId, type IncomingMessage } from '../workflows/contracts/reply';
import type { FollowUpPolicy } from '../workflows/contracts/followUp';
import { addressedCharacters, type RosterMember } from './addressing';
import { reportGatewayStatus } from './gatewayStatus';
import { attachRatings } from './ratings';
import type { Sharding } from './sharding';
import { startWorkflowOnce } from './startWorkflowOnce';

export interface CharacterBotOptions {
  character: CharacterDefinition;
  token: string;
  /** Discord REST base, e.g. https://discord.com/api (a local fake in tests). */
  apiUrl: string;
  temporal: TemporalClient;
  taskQueue: string;
  /** Shared by all bots of the process: each fills in its own user id at login. */
  roster: RosterMember[];
  /** Handed to each reply: how other characters may answer it (absent: they do not). */
  followUps: FollowUpPolicy | undefined;
  /** The gateway shards this process runs (the same for every character). */
  sharding: Sharding;
  /** Where the gateway state of each shard is recorded for the dashboard; absent: nowhere. */
  gatewayStatus?: GatewayStatus;
  log: Logger;
}

export interface CharacterBot {
  character: string;
  client: Client;
  stop(): Promise<void>;
}

/**
 * One discord.js gateway client per character. It only decides whether its character
 * is addressed and starts a ReplyWorkflow; it never waits for the LLM.
 */
export async function startCharacterBot(options: CharacterBotOptions): Promise<CharacterBot> {
  const { character, temporal, taskQueue, roster } = options;
  // Every line says which shards it comes from: with several bots processes, that tells them apart.
  const log = options.log.child({ character: character.name, shards: options.sharding.shards });
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.GuildMessageReactions, // rating reactions
      GatewayIntentBits.DirectMessageReactions,
    ],
    // DM channels arrive uncached; reactions may concern messages and users not in the cache.
    partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
    rest: { api: options.apiUrl },
    shards: options.sharding.shards,
    ...(options.sharding.shardCount !== undefined && { shardCount: options.sharding.shardCount }),
  });
  const self = roster.find((member) => member.name === character.name);
  if (!self) throw new Error(`${character.name} is not in the roster`);

  attachRatings({ client, character: character.name, temporal, taskQueue, log });
  const gateway =
    options.gatewayStatus &&
    reportGatewayStatus({ client, character: character.name, status: options.gatewayStatus, log });

  client.on(Events.MessageCreate, (message) => {
    void onMessage(message).catch((err: unknown) =>
      log.error({ err, messageId: message.id }, 'message handling failed'),
    );
  });

  async function onMessage(message: Message): Promise<void> {
    if (message.author.bot) return; // its own posts and other bots' (bot-to-bot chains are bounded elsewhere)
    const addressed = addressedCharacters(
      {
        isDirectMessage: message.channel.type === ChannelType.DM,
        content: message.content,
        mentionedUserIds: [...message.mentions.users.keys()],
        repliedToUserId: message.mentions.repliedUser?.id ?? null,
      },
      roster,
      character.name,
    );
    if (!addressed.includes(character.name)) return;
    const incoming: IncomingMessage = {
      messageId: message.id,
      channelId: message.channelId,
      guildId: message.guildId,
      authorId: message.author.id,
      authorName: message.author.username,
      content: message.content,
      createdAt: message.createdAt.toISOString(),
    };
    const workflowId = replyWorkflowId(message.id, character.name);
    if (await startReply(workflowId, incoming)) {
      log.info(
        {
          messageId: message.id,
          workflowId,
          channelId: message.channelId,
          guildId: message.guildId,
          shardId: shardOf(message),
        },
        'reply workflow started',
      );
      if ('sendTyping' in message.channel) {
        await message.channel
          .sendTyping()
          .catch((err: unknown) => log.debug({ err }, 'typing indicator failed'));
      }
    }
  }

  /** Starts the workflow; false when this message already has one (a gateway redelivery). */
  async function startReply(workflowId: string, message: IncomingMessage): Promise<boolean> {
    const followUps = options.followUps && { followUps: options.followUps };
    const { duplicate } = await startWorkflowOnce<typeof ReplyWorkflow>(
      temporal,
      REPLY_WORKFLOW_TYPE,
      { taskQueue, workflowId, args: [{ character: character.name, message, ...followUps }] },
      log,
    );
    if (duplicate) {
      log.info(
        { messageId: message.messageId, workflowId },
        'duplicate delivery of a message: already answered',
      );
    }
    return !duplicate;
  }

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(options.token);
  await ready;
  self.userId = client.user?.id ?? null;
  // With 'auto', discord.js has now filled in the shards Discord recommended.
  const { shards, shardCount } = client.options;
  log.info({ userId: self.userId, shards, shardCount }, 'bot logged in to Discord');
  return {
    character: character.name,
    client,
    stop: async () => {
      await gateway?.stop();
      await client.destroy();
    },
  };
}

/** The shard that delivered a message: its guild's (discord.js records it at GUILD_CREATE); DMs come on shard 0. */
function shardOf(message: Message): number {
  return message.guild?.shardId ?? 0;
}
