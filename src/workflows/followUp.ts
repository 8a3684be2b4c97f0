import {
  ParentClosePolicy,
  proxyActivities,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { snowflakeTime } from '../discord/snowflake';
import type { Activities } from '../activities';
import { chooseNextSpeaker } from './nextSpeaker';
import { DISCORD_READ_OPTIONS } from './retryPolicies';
import type { ReplyWorkflow } from './reply';
import { followUpWorkflowId, type FollowUpInput, type FollowUpOutcome } from './contracts/followUp';
import { REPLY_WORKFLOW_TYPE, replyWorkflowId } from './contracts/reply';

/** A quick read; if Discord does not answer, the chain ends rather than talk over someone. */
const { lastChannelMessageAt } = proxyActivities<Activities>(DISCORD_READ_OPTIONS);

/**
 * After a character's line, maybe another character answers it: within the chain cap,
 * while a human spoke recently, after a human-feeling pause, and only if nobody posted in
 * the meantime (a human message takes priority: it gets its own reply instead). The
 * answer is an ordinary ReplyWorkflow, which may in turn start the next FollowUpWorkflow.
 */
export async function FollowUpWorkflow(input: FollowUpInput): Promise<FollowUpOutcome> {
  const { policy } = input;
  if (input.length >= policy.maxChain) return { answeredBy: null, reason: 'cap' };
  if (Date.now() - Date.parse(input.anchorAt) > policy.idleMs) return { answeredBy: null, reason: 'idle' };
  const next = chooseNextSpeaker(input.text, input.speaker, policy.characters, Math.random);
  if (!next) return { answeredBy: null, reason: 'nobody' };

  await sleep(policy.delayMs);
  const newest = await lastChannelMessageAt(input.channelId);
  if (newest && Date.parse(newest) > snowflakeTime(input.lastMessageId)) {
    return { answeredBy: null, reason: 'interrupted' };
  }

  const workflowId = replyWorkflowId(input.lastMessageId, next);
  await startChild<typeof ReplyWorkflow>(REPLY_WORKFLOW_TYPE, {
    workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    // The chain outlives each link: this workflow ends once the answer is under way.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [
      {
        character: next,
        message: {
          messageId: input.lastMessageId,
          channelId: input.channelId,
          guildId: null,
          authorId: `character:${input.speaker}`,
          authorName: input.speaker,
          content: input.text,
          createdAt: new Date(snowflakeTime(input.lastMessageId)).toISOString(),
        },
        followUps: policy,
        chain: { length: input.length, anchorAt: input.anchorAt, answeredTurn: input.turn },
      },
    ],
  });
  return { answeredBy: next, workflowId };
}

/** Starts the FollowUpWorkflow of a line just posted; the chain outlives the line's workflow. */
export async function startFollowUp(input: FollowUpInput): Promise<void> {
  await startChild(FollowUpWorkflow, {
    workflowId: followUpWorkflowId(input.lastMessageId),
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [input],
  });
}
