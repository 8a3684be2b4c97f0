/** `/rate`: a user rates a character's reply from 1 to 5 (a UserRatingWorkflow, whose outcome is the answer). */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { parseMessageReference } from '../messageReference';
import { nextEventTime } from '../reactions';
import { startWorkflowOnce } from '../startWorkflowOnce';
import type { UserRatingWorkflow } from '../../workflows/ratings';
import {
  commandRatingWorkflowId,
  USER_RATING_WORKFLOW_TYPE,
  type UserRatingInput,
  type UserRatingOutcome,
} from '../../workflows/contracts/ratings';
import { answerEphemerally, resultInTime } from './answer';
import type { CommandContext, SlashCommand } from '.';

/** Each character's own bot registers its /rate; the cast bot has none (reactions rate its posts). */
export const rateCommand: SlashCommand = {
  name: 'rate',
  data: (character) =>
    character === null
      ? null
      : new SlashCommandBuilder()
          .setName('rate')
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
          .toJSON(),
  async handle(interaction, context) {
    const { character } = context;
    if (character === null) return;
    const eventAt = nextEventTime(); // before any await: gateway order is the users' order
    await answerEphemerally(
      interaction,
      () => rate(interaction, eventAt, character, context),
      'Sorry, your rating could not be saved right now. Please try again in a minute.',
      context.log,
    );
  },
};

async function rate(
  interaction: ChatInputCommandInteraction,
  eventAt: number,
  character: string,
  { temporal, taskQueue, log }: CommandContext,
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
  const { handle } = await startWorkflowOnce<typeof UserRatingWorkflow>(
    temporal,
    USER_RATING_WORKFLOW_TYPE,
    { taskQueue, workflowId, args: [input] },
    log,
  );
  log.info({ workflowId, score }, '/rate workflow started');
  const outcome = await resultInTime(handle);
  return outcome
    ? describeOutcome(outcome)
    : 'Your rating is being saved; that is taking longer than usual, but it will be recorded.';
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
