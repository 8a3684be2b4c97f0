import {
  Events,
  type Client,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  type User,
} from 'discord.js';
import type { Logger } from '../logger';

/** A human's reaction, added or taken back, on a message a character posted through this client. */
export interface OwnMessageReaction {
  action: 'add' | 'remove';
  /** The unicode emoji (custom emoji are never handed on). */
  emoji: string;
  userId: string;
  /** Null when discord.js only knows the user's id. */
  userName: string | null;
  message: Message;
  /** The character who posted the message. */
  character: string;
  /** Epoch ms, strictly increasing in this process: events of one user are ordered as received. */
  eventAt: number;
}

export interface ReactionWiring {
  client: Client;
  /** The character who wrote a message this client posted (its bot's own, or a cast webhook's), else null. */
  authorOf: (message: Message) => string | null;
  /** Whether `emoji` (added or taken back) is one this handler acts on: others are not even looked at. */
  wants(emoji: string, action: OwnMessageReaction['action']): boolean;
  handle(reaction: OwnMessageReaction): Promise<unknown>;
  /** What the handler does, for its error log. */
  what: string;
  log: Logger;
}

/**
 * Hands a handler the reactions it wants on the messages this client posted. Every bot sees every
 * reaction; only the author's bot acts, so one event is handled once.
 */
export function attachReactionHandler(wiring: ReactionWiring): void {
  const { client, log } = wiring;
  const on = (action: OwnMessageReaction['action']) =>
    function (reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser): void {
      const eventAt = nextEventTime(); // before any await: gateway order is the users' order
      void ownReaction(action, reaction, user, eventAt)
        .then((own) => own && wiring.handle(own))
        .catch((err: unknown) =>
          log.error({ err, messageId: reaction.message.id, action }, `${wiring.what} failed`),
        );
    };
  client.on(Events.MessageReactionAdd, on('add'));
  client.on(Events.MessageReactionRemove, on('remove'));

  async function ownReaction(
    action: OwnMessageReaction['action'],
    reaction: MessageReaction | PartialMessageReaction,
    user: User | PartialUser,
    eventAt: number,
  ): Promise<OwnMessageReaction | null> {
    if (user.bot) return null; // null for a user discord.js has not seen yet: a human as far as we know
    const emoji = reaction.emoji.id ? null : reaction.emoji.name; // custom emoji: nothing to act on
    if (!emoji || !wiring.wants(emoji, action)) return null;
    let message = reaction.message;
    if (message.partial) {
      // Not in this bot's cache (older than its session or its cache): ask Discord whose it is.
      try {
        message = await message.fetch();
      } catch (err) {
        log.debug({ err, messageId: message.id }, 'reacted message unavailable: reaction ignored');
        return null;
      }
    }
    const character = wiring.authorOf(message);
    if (!character) return null; // someone else's message
    return { action, emoji, userId: user.id, userName: user.username, message, character, eventAt };
  }
}

/**
 * Strictly increasing event times: two events of one user on one reply are applied in the order this
 * process received them, even within one millisecond.
 */
let lastEventAt = 0;
export function nextEventTime(): number {
  lastEventAt = Math.max(Date.now(), lastEventAt + 1);
  return lastEventAt;
}
