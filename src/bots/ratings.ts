/**
 * User ratings of the characters' replies, as the bots see them: a rating reaction on a
 * character's message (1️⃣-5️⃣, 👍 = 5, 👎 = 1) and the `/rate` slash command. Each becomes
 * a UserRatingWorkflow; the bots never touch MongoDB themselves.
 */
import { within } from '../within';
import type { Client as TemporalClient, WorkflowHandle } from '@temporalio/client';
import {
  ApplicationIntegrationType,
  Events,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type Client,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type User,
} from 'discord.js';
import type { Logger } from '../logger';
import { startWorkflowOnce } from './startWorkflowOnce';
import type { UserRatingWorkflow } from '../workflows/ratings';
import {
  commandRatingWorkflowId,
  reactionRatingWorkflowId,
  USER_RATING_WORKFLOW_TYPE,
  type UserRatingInput,
  type UserRatingOutcome,
} from '../workflows/contracts/ratings';

export const RATE_COMMAND_NAME = 'rate';

/** How long /rate waits for its workflow before answering that the rating is still being saved. */
const COMMAND_ANSWER_WAIT_MS = 10_000;

/** Keycaps 1-5 and thumbs, without variation selectors and skin tones (see reactionScore). */
const SCORES: Record<string, number> = {
  '1\u20e3': 1,
  '2\u20e3': 2,
  '3\u20e3': 3,
  '4\u20e3': 4,
  '5\u20e3': 5,
  '\u{1f44d}': 5, // 👍
  '\u{1f44e}': 1, // 👎
};

/** The score a reaction gives (1️⃣-5️⃣, 👍 5, 👎 1, any skin tone), or null for other emoji. */
export function reactionScore(emojiName: string | null): number | null {
  if (!emojiName) return null;
  const bare = emojiName.replace(/\ufe0f/g, '').replace(/[\u{1f3fb}-\u{1f3ff}]/gu, '');
  return SCORES[bare] ?? null;
}

/** The `/rate` command of one character's bot (each bot registers its own). */
export function rateCommand(character: string): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return new SlashCommandBuilder()
    .setName(RATE_COMMAND_NAME)
    .setDescription(`Rate a reply of ${character} from 1 (bad) to 5 (great)`.slice(0, 100))
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    .addIntegerOption((option) =>
      option
        .setName('score')
        .setDescription('1 (bad) to 5 (great)')
        .setRequired(true)
        .setMinValue(1)
        .setMaxValue(5),
    )
    .addStringOption((option) =>
      option
        .setName('message')
        .setDescription(
          `Link or id of the message (default: the newest reply of ${character} here)`.slice(0, 100),
        )
        .setMaxLength(200),
    )
    .addStringOption((option) =>
      option.setName('feedback').setDescription('What was good or bad about it').setMaxLength(500),
    )
    .toJSON();
}

export type MessageReference = { channelId: string; messageId: string } | { error: string };

/**
 * The message a `/rate message:` option names: a message id (in this channel), a
 * `channel id-message id` pair (Discord's "Copy ID" with Shift), or a message link.
 */
export function parseMessageReference(
  text: string,
  here: { channelId: string; guildId: string | null },
): MessageReference {
  const value = text.trim().replace(/^<(.*)>$/, '$1');
  const id = '(\\d{17,20})';
  if (new RegExp(`^${id}$`).test(value)) return { channelId: here.channelId, messageId: value };
  const pair = new RegExp(`^${id}-${id}$`).exec(value);
  if (pair) return { channelId: pair[1] as string, messageId: pair[2] as string };
  const link = new RegExp(
    `^https://(?:(?:ptb|canary)\\.)?discord(?:app)?\\.com/channels/(@me|${id.slice(1, -1)})/${id}/${id}/?$`,
  ).exec(value);
  if (!link) {
    return {
      error:
        'That is not a message id or link. Use "Copy Message Link" (or "Copy Message ID") on the reply you want to rate.',
    };
  }
  const [, guild, channelId, messageId] = link as unknown as [string, string, string, string];
  if ((guild === '@me' ? null : guild) !== here.guildId) {
    return { error: 'That link is to a message in another server or DM: use /rate there.' };
  }
  return { channelId, messageId };
}

/** What /rate answers the user (only they see it). */
export function describeOutcome(outcome: UserRatingOutcome): string {
  switch (outcome.status) {
    case 'recorded':
      return `Thanks! You rated ${outcome.character}'s reply ${outcome.score}/5.`;
    case 'updated':
      return `Updated: you now rate ${outcome.character}'s reply ${outcome.score}/5.`;
    case 'superseded':
      return `You rated ${outcome.character}'s reply again in the meantime; your latest rating stands.`;
    case 'removed':
      return `Your rating of ${outcome.character}'s reply was removed.`;
    case 'unchanged':
      return `Your rating of ${outcome.character}'s reply is unchanged.`;
    case 'not-a-reply':
      return "That message is not a reply from one of the characters, so there is nothing to rate. Pass the link or id of a character's reply in this channel.";
    case 'no-reply':
      return `${outcome.character} has not replied in this channel yet, so there is nothing to rate.`;
    case 'fallback':
      return `That was ${outcome.character}'s stand-in line while the language model was unreachable; only real replies can be rated.`;
  }
}

/**
 * Strictly increasing event times: two rating events of one user on one reply are applied
 * in the order this process received them, even within one millisecond.
 */
let lastEventAt = 0;
function nextEventTime(): number {
  lastEventAt = Math.max(Date.now(), lastEventAt + 1);
  return lastEventAt;
}

export interface RatingHandlerOptions {
  client: Client;
  /**
   * The character whose /rate this client registers, as the roster spells it now (it may be imported after
   * the bot logged in); absent (the cast bot): reactions only.
   */
  rateCommandOf?: () => string;
  /** The character who wrote a message this client posted (its bot's own, or a cast webhook's), else null. */
  authorOf(message: Message): string | null;
  temporal: TemporalClient;
  taskQueue: string;
  log: Logger;
}

/**
 * Wires ratings into a gateway client (call before login): rating reactions on the messages it
 * posted (every bot sees every reaction; only the author's bot acts, so one event starts one
 * workflow), and for a character's own bot the /rate command and its registration at ready.
 */
export function attachRatings(options: RatingHandlerOptions): void {
  const { client, rateCommandOf, temporal, taskQueue, log } = options;

  if (rateCommandOf) {
    client.once(Events.ClientReady, (ready) => {
      ready.application.commands
        .set([rateCommand(rateCommandOf())])
        .then(() => log.info('/rate command registered'))
        .catch((err: unknown) => log.warn({ err }, 'could not register the /rate command'));
    });
  }

  const onReaction = (action: UserRatingInput['action']) =>
    function (reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser): void {
      const eventAt = nextEventTime(); // before any await: gateway order is the users' order
      void handleReaction(action, reaction, user, eventAt).catch((err: unknown) =>
        log.error({ err, messageId: reaction.message.id, action }, 'rating reaction handling failed'),
      );
    };
  client.on(Events.MessageReactionAdd, onReaction('set'));
  client.on(Events.MessageReactionRemove, onReaction('remove'));

  client.on(Events.InteractionCreate, (interaction) => {
    if (!rateCommandOf || !interaction.isChatInputCommand() || interaction.commandName !== RATE_COMMAND_NAME)
      return;
    const character = rateCommandOf();
    const eventAt = nextEventTime();
    void answerRate(interaction, eventAt, character).catch((err: unknown) =>
      // Only the message: a Discord error's URL would carry the interaction's token.
      log.error({ error: String(err), interactionId: interaction.id }, 'could not answer /rate'),
    );
  });

  async function handleReaction(
    action: UserRatingInput['action'],
    reaction: MessageReaction | PartialMessageReaction,
    user: User | PartialUser,
    eventAt: number,
  ): Promise<void> {
    if (user.bot) return; // null for a user discord.js has not seen yet: a human as far as we know
    const emoji = reaction.emoji.id ? null : reaction.emoji.name; // custom emoji never rate
    const score = reactionScore(emoji);
    if (score === null || !emoji) return;
    let message = reaction.message;
    if (message.partial) {
      // Not in this bot's cache (older than its session or its cache): ask Discord whose it is.
      try {
        message = await message.fetch();
      } catch (err) {
        log.debug({ err, messageId: message.id }, 'reacted message unavailable: reaction ignored');
        return;
      }
    }
    const character = options.authorOf(message);
    if (!character) return; // someone else's message: not ours to rate
    const input: UserRatingInput = {
      action,
      score,
      source: `reaction:${emoji}`,
      userId: user.id,
      channelId: message.channelId,
      messageId: message.id,
      character,
      feedbackText: '',
      eventAt,
    };
    const workflowId = reactionRatingWorkflowId(message.id, user.id, eventAt);
    await startRating(workflowId, input);
    log.info({ workflowId, messageId: message.id, action, score }, 'rating workflow started');
  }

  async function answerRate(
    interaction: ChatInputCommandInteraction,
    eventAt: number,
    character: string,
  ): Promise<void> {
    // Discord wants an answer within 3 s; deferring gives the workflow up to 15 minutes.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    let answer: string;
    try {
      answer = await rate(interaction, eventAt, character);
    } catch (err) {
      log.error({ err, interactionId: interaction.id }, '/rate failed');
      answer = 'Sorry, your rating could not be saved right now. Please try again in a minute.';
    }
    await interaction.editReply({ content: answer, allowedMentions: { parse: [] } });
  }

  async function rate(
    interaction: ChatInputCommandInteraction,
    eventAt: number,
    character: string,
  ): Promise<string> {
    const score = interaction.options.getInteger('score', true);
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      return 'The score is a whole number from 1 (bad) to 5 (great).';
    }
    const channelId = interaction.channelId;
    if (!channelId) return 'Use /rate in the channel of the reply you want to rate.';
    const reference = interaction.options.getString('message');
    let target: { channelId: string; messageId: string | null } = { channelId, messageId: null };
    if (reference !== null) {
      const parsed = parseMessageReference(reference, { channelId, guildId: interaction.guildId });
      if ('error' in parsed) return parsed.error;
      target = parsed;
    }
    const input: UserRatingInput = {
      action: 'set',
      score,
      source: 'command',
      userId: interaction.user.id,
      channelId: target.channelId,
      messageId: target.messageId,
      character,
      feedbackText: interaction.options.getString('feedback')?.trim() ?? '',
      eventAt,
    };
    const workflowId = commandRatingWorkflowId(interaction.id);
    const handle = await startRating(workflowId, input);
    log.info({ workflowId, score }, '/rate workflow started');
    const outcome = await resultWithin(handle, COMMAND_ANSWER_WAIT_MS);
    return outcome
      ? describeOutcome(outcome)
      : 'Your rating is being saved; that is taking longer than usual, but it will be recorded.';
  }

  /** Starts the workflow (a duplicate id is the same event again: its handle is returned). */
  async function startRating(
    workflowId: string,
    input: UserRatingInput,
  ): Promise<WorkflowHandle<typeof UserRatingWorkflow>> {
    const { handle } = await startWorkflowOnce<typeof UserRatingWorkflow>(
      temporal,
      USER_RATING_WORKFLOW_TYPE,
      { taskQueue, workflowId, args: [input] },
      log,
    );
    return handle;
  }
}

/** The workflow's outcome, or null if it takes longer than `ms` (it goes on regardless). */
async function resultWithin(
  handle: WorkflowHandle<typeof UserRatingWorkflow>,
  ms: number,
): Promise<UserRatingOutcome | null> {
  return within(handle.result(), ms, null);
}
