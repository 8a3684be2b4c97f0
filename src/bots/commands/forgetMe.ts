/**
 * `/forget-me`: deletes the caller's own data everywhere (ForgetUserWorkflow): their turns, their ratings,
 * the notes about them and the summaries written from their turns, and answers (to them only) how much
 * went. The deletion is recorded in data_deletions without the content.
 */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { DeletionCounts } from '../../store/dataDeletions';
import type { ForgetUserWorkflow } from '../../workflows/forgetUser';
import { FORGET_USER_WORKFLOW_TYPE, forgetUserWorkflowId } from '../../workflows/contracts/forgetUser';
import { answerEphemerally, resultInTime } from './answer';
import type { CommandContext, SlashCommand } from '.';

/** Every bot offers it, the cast bot too, in servers and in DMs: anyone may delete their own data. */
export const forgetMeCommand: SlashCommand = {
  name: 'forget-me',
  data: () =>
    new SlashCommandBuilder()
      .setName('forget-me')
      .setDescription('Delete your messages, ratings and what the characters noted about you, everywhere')
      .addBooleanOption((option) =>
        option
          .setName('confirm')
          .setDescription('True to delete them for good (it cannot be undone)')
          .setRequired(true),
      )
      .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
      .toJSON(),
  async handle(interaction, context) {
    await answerEphemerally(
      interaction,
      () => forgetMe(interaction, context),
      'Sorry, your data could not be deleted right now. Please try again in a minute.',
      context.log,
    );
  },
};

async function forgetMe(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<string> {
  if (!interaction.options.getBoolean('confirm', true)) {
    return 'Nothing was deleted. Use /forget-me confirm:True to delete your data.';
  }
  const userId = interaction.user.id;
  const workflowId = forgetUserWorkflowId(userId, interaction.id);
  const handle = await context.temporal.workflow.start<typeof ForgetUserWorkflow>(FORGET_USER_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: context.taskQueue,
    args: [{ userId, requestedBy: `discord:${userId}`, requestedAt: interaction.createdAt.toISOString() }],
  });
  context.log.info({ workflowId }, '/forget-me workflow started');
  const result = await resultInTime(handle);
  return describeDeletion(result?.counts ?? null);
}

/** What /forget-me answers; null: the workflow is still running. */
export function describeDeletion(counts: DeletionCounts | null): string {
  if (!counts) return 'Your data is being deleted: done in a moment.';
  const parts = [
    [counts.conversation_history, 'message', 'messages'],
    [counts.fine_tuning_data, 'rating', 'ratings'],
    [counts.user_notes, 'note about you', 'notes about you'],
    [counts.conversation_summaries, 'conversation summary', 'conversation summaries'],
    [counts.dead_letter_queue, 'failed reply to you', 'failed replies to you'],
  ] as const;
  const deleted = parts.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  if (deleted.length === 0) return 'There was nothing of yours to delete.';
  return (
    `Done: deleted ${deleted.join(', ')}. ` +
    'The characters no longer remember them; your messages stay in Discord itself. ' +
    'The summaries are written again later from what others said.'
  );
}
