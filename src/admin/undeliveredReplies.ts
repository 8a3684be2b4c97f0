import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ReplyWorkflow } from '../workflows/reply';
import { REPLY_WORKFLOW_TYPE, replyWorkflowId, type ReplyInput } from '../workflows/contracts/reply';

/**
 * Replies the admin API asks for (POST /orchestrate, the playground): the ReplyWorkflow a Discord
 * message starts, for one character, stored but not posted to Discord.
 */
export function startUndeliveredReply(
  options: { temporal: Client; taskQueue: string },
  character: string,
  message: ReplyInput['message'],
): Promise<WorkflowHandle<typeof ReplyWorkflow>> {
  const input: ReplyInput = { character, message, deliver: false };
  return options.temporal.workflow.start<typeof ReplyWorkflow>(REPLY_WORKFLOW_TYPE, {
    workflowId: replyWorkflowId(message.messageId, character),
    taskQueue: options.taskQueue,
    args: [input],
  });
}

/** The roster's spelling of a character a request names in any case; undefined when not in the roster. */
export function rosterName(roster: Array<{ name: string }>, requested: string): string | undefined {
  return roster.find((c) => c.name.toLowerCase() === requested.toLowerCase())?.name;
}
