/**
 * `/forget`: the characters stop using this channel's earlier turns (ForgetChannelWorkflow). The turns stay
 * in conversation_history for the record; they leave the history window, the summary and the user notes.
 */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { ForgetChannelWorkflow } from '../../workflows/memory';
import {
  FORGET_CHANNEL_WORKFLOW_TYPE,
  forgetChannelWorkflowId,
  type ForgetChannelResult,
} from '../../workflows/contracts/memory';
import { answerEphemerally, resultInTime } from './answer';
import type { CommandContext, SlashCommand } from '.';

/**
 * Every bot offers it, the cast bot too: the channel forgets for every character whichever bot is asked.
 * Hidden from members without Manage Messages (default_member_permissions), and checked again here, since
 * a server's admins can change who sees a command.
 */
export const forgetCommand: SlashCommand = {
  name: 'forget',
  data: () =>
    new SlashCommandBuilder()
      .setName('forget')
      .setDescription("Have the characters forget this channel's conversation so far")
      .setContexts(InteractionContextType.Guild)
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageMessages)
      .toJSON(),
  async handle(interaction, context) {
    await answerEphemerally(
      interaction,
      () => forget(interaction, context),
      'Sorry, this channel could not forget right now. Please try again in a minute.',
      context.log,
    );
  },
};

async function forget(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<string> {
  if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages)) {
    return '/forget needs the Manage Messages permission in this channel.';
  }
  const workflowId = forgetChannelWorkflowId(interaction.id);
  const handle = await context.temporal.workflow.start<typeof ForgetChannelWorkflow>(
    FORGET_CHANNEL_WORKFLOW_TYPE,
    {
      workflowId,
      taskQueue: context.taskQueue,
      args: [{ channelId: interaction.channelId, requestedBy: `discord:${interaction.user.id}` }],
    },
  );
  context.log.info({ workflowId, channelId: interaction.channelId }, '/forget workflow started');
  const result = await resultInTime(handle);
  return describeForget(result);
}

/** What /forget answers (only its user sees it); null: the workflow is still running. */
export function describeForget(result: ForgetChannelResult | null): string {
  if (!result) return 'The characters are forgetting this channel’s conversation: done in a moment.';
  if (result.forgottenThroughTurnId === 0)
    return 'There was nothing to forget: the characters have not talked here yet.';
  return (
    'Done: the characters no longer remember what was said here before now. ' +
    'The messages stay in the channel; only the characters stop using them.'
  );
}
