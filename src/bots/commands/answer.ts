import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { Logger } from '../../logger';
import { within } from '../../within';

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

/**
 * How long a command waits for its workflow before answering that the work is under way: well inside the 15
 * minutes a deferred answer may take, short enough that nobody waits on a slow model.
 */
const COMMAND_ANSWER_WAIT_MS = 10_000;

/** The workflow's result, or null if it takes longer than a command waits (it goes on regardless). */
export function resultInTime<T>(handle: { result(): Promise<T> }): Promise<T | null> {
  return within(handle.result(), COMMAND_ANSWER_WAIT_MS, null);
}
