import { mentionsName } from '../characters/names';

/** What the bots know about a message when deciding who answers (no LLM involved). */
export interface MessageFacts {
  isDirectMessage: boolean;
  content: string;
  mentionedUserIds: string[];
  /** Author of the message this one replies to, if it is a reply. */
  repliedToUserId: string | null;
}

export interface RosterMember {
  name: string;
  aliases: string[];
  /** The character's Discord bot user id, once its client is logged in. */
  userId: string | null;
}

/**
 * The characters a message is addressed to, as seen by the bot `recipient`:
 * - a message without text addresses nobody;
 * - a DM addresses the bot it was sent to;
 * - otherwise explicit addressing wins: @mentions of the characters and the author of
 *   the message being replied to;
 * - otherwise characters named in the text ("hey Stewie"), on word boundaries.
 * So "@Peter what does Stewie think?" is for Peter only.
 */
export function addressedCharacters(
  message: MessageFacts,
  roster: RosterMember[],
  recipient: string,
): string[] {
  // No text, nothing to answer (an attachment or sticker alone, whitespace): the
  // characters only read text, and an empty prompt makes the model invent a message.
  if (message.content.trim() === '') return [];
  if (message.isDirectMessage) return [recipient];
  const explicit = roster.filter(
    (member) =>
      member.userId !== null &&
      (message.mentionedUserIds.includes(member.userId) || message.repliedToUserId === member.userId),
  );
  if (explicit.length > 0) return explicit.map((member) => member.name);
  return roster
    .filter((member) => member.aliases.some((alias) => mentionsName(message.content, alias)))
    .map((m) => m.name);
}
