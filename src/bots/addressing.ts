import { displayName, mentionsName } from '../characters/names';

/** What the bots know about a message when deciding who answers (no LLM involved). */
export interface MessageFacts {
  isDirectMessage: boolean;
  content: string;
  mentionedUserIds: string[];
  /** Author of the message this one replies to, if it is a reply. */
  repliedToUserId: string | null;
  /** The character whose webhook post this one replies to (webhook mode), if it is one. */
  repliedToCharacter?: string | null;
  /** Whether the message @mentions the cast bot (webhook mode): then the names in it are explicit. */
  mentionsCastBot?: boolean;
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
 * - otherwise explicit addressing wins: @mentions of the characters, the author of the
 *   message being replied to (a character's bot, or a character's webhook post), and the
 *   characters named beside an @mention of the cast bot;
 * - otherwise characters named in the text ("hey Stewie"), on word boundaries.
 * So "@Peter what does Stewie think?" is for Peter only. `recipient` is the character whose
 * own bot received a DM (null for the cast bot, which does not answer DMs: webhooks cannot post there).
 */
export function addressedCharacters(
  message: MessageFacts,
  roster: RosterMember[],
  recipient: string | null,
): string[] {
  // No text, nothing to answer (an attachment or sticker alone, whitespace): the
  // characters only read text, and an empty prompt makes the model invent a message.
  if (message.content.trim() === '') return [];
  if (message.isDirectMessage) return recipient ? [recipient] : [];
  const named = roster.filter((member) =>
    member.aliases.some((alias) => mentionsName(message.content, alias)),
  );
  // A webhook post is signed with the display name ("Glenn Quagmire" for Glenn_Quagmire).
  const repliedTo = message.repliedToCharacter?.toLowerCase();
  const explicit = roster.filter(
    (member) =>
      (member.userId !== null &&
        (message.mentionedUserIds.includes(member.userId) || message.repliedToUserId === member.userId)) ||
      displayName(member.name).toLowerCase() === repliedTo ||
      (message.mentionsCastBot === true && named.includes(member)),
  );
  return (explicit.length > 0 ? explicit : named).map((member) => member.name);
}

/**
 * Whether a message is one the coordinator may answer: in a channel, with text, addressed to no
 * character present (`addressed` empty) and to no one else either: a message that @mentions someone or
 * replies to someone is for them.
 */
export function addressesNobody(message: MessageFacts, addressed: string[]): boolean {
  return (
    addressed.length === 0 &&
    !message.isDirectMessage &&
    message.content.trim() !== '' &&
    message.mentionedUserIds.length === 0 &&
    message.repliedToUserId === null
  );
}
