import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { Logger } from '../../logger';

/**
 * Answers a command so that only its user sees it: deferred first (Discord wants an answer within 3 s;
 * deferring gives up to 15 minutes), then edited to what `work` says, or to `failure` when it throws.
 */
export async function answerEphemerally(
  interaction: ChatInputCommandInteraction,
  work: () => Promise<string>,
  failure: string,
  log: Logger,
): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  let answer: string;
  try {
    answer = await work();
  } catch (err) {
    log.error({ err, interactionId: interaction.id, command: interaction.commandName }, 'command failed');
    answer = failure;
  }
  await interaction.editReply({ content: answer, allowedMentions: { parse: [] } });
}
