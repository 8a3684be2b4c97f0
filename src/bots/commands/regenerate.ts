/** `/regenerate`: the person a character answered asks for another reply in its place (RegenerateWorkflow). */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { displayName } from '../../characters/names';
import {
  commandRegenerateWorkflowId,
  type RegenerateInput,
  type RegenerateOutcome,
} from '../../workflows/contracts/regenerate';
import { parseMessageReference } from '../messageReference';
import { startRegeneration } from '../regenerate';
import { answerEphemerally, resultInTime } from './answer';
import type { CommandContext, SlashCommand } from '.';

/** A character's bot regenerates its character's replies; the cast bot those of the characters it speaks for. */
export const regenerateCommand: SlashCommand = {
  name: 'regenerate',
  data: (character) =>
    new SlashCommandBuilder()
      .setName('regenerate')
      .setDescription(
        (character
          ? `Have ${displayName(character)} answer you again, in place of their reply`
          : 'Have a character answer you again, in place of their reply'
        ).slice(0, 100),
      )
      .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
      .addStringOption((option) =>
        option
          .setName('message')
          .setDescription('Link or id of the reply (default: the newest reply to you here)')
          .setMaxLength(200),
      )
      .toJSON(),
  async handle(interaction, context) {
    await answerEphemerally(
      interaction,
      () => regenerate(interaction, context),
      'Sorry, the reply could not be regenerated right now. Please try again in a minute.',
      context.log,
    );
  },
};

async function regenerate(
  interaction: ChatInputCommandInteraction,
  context: CommandContext,
): Promise<string> {
  const { temporal, taskQueue, log } = context;
  const channelId = interaction.channelId;
  const reference = interaction.options.getString('message');
  let target: { channelId: string; messageId: string | null } = { channelId, messageId: null };
  if (reference !== null) {
    const parsed = parseMessageReference(reference, { channelId, guildId: interaction.guildId });
    if ('error' in parsed) return parsed.error;
    target = parsed;
  }
  const input: RegenerateInput = {
    userId: interaction.user.id,
    userName: interaction.user.username,
    ...target,
    characters: context.character !== null ? [context.character] : context.castCharacters(),
    source: 'command',
  };
  const workflowId = commandRegenerateWorkflowId(interaction.id);
  const { handle } = await startRegeneration(
    temporal,
    { taskQueue, workflowId, input, reusable: false },
    log,
  );
  log.info({ workflowId }, '/regenerate workflow started');
  const outcome = await resultInTime(handle);
  return outcome
    ? describeOutcome(outcome)
    : 'The new reply is on its way: it will replace the old one shortly.';
}

/** What /regenerate answers the user (only they see it). */
export function describeOutcome(outcome: RegenerateOutcome): string {
  switch (outcome.status) {
    case 'regenerated':
      return `Done: ${displayName(outcome.character)}'s reply was rewritten (${outcome.regenerations} of ${outcome.limit} regenerations used).`;
    case 'not-yours':
      return `That reply of ${displayName(outcome.character)} answered someone else: only the person it answered can regenerate it.`;
    case 'limit-reached':
      return `${displayName(outcome.character)}'s reply has been regenerated ${outcome.limit} times already, the most allowed.`;
    case 'not-regenerable':
      return outcome.why === 'organic'
        ? `That is ${displayName(outcome.character)} starting a conversation, not a reply: there is nothing to regenerate.`
        : `That was ${displayName(outcome.character)}'s stand-in line while the language model was unreachable: ask again instead.`;
    case 'nothing':
      return outcome.named
        ? "That message is not a character's reply, so there is nothing to regenerate."
        : 'No character has replied to you in this channel yet, so there is nothing to regenerate.';
    case 'busy':
      return `${displayName(outcome.character)}'s reply is being regenerated already.`;
    case 'failed':
      return `${displayName(outcome.character)} could not come up with another reply right now; the reply stays as it was.`;
  }
}
