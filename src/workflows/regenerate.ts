import { executeChild, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { ReplyPrompt } from '../llm/prompt';
import type { QcTurnResult } from '../store/conversationHistory';
import { deadLetterStep } from './deadLetters';
import { llmActivities } from './llmActivities';
import { replyThroughQc } from './qualityControl';
import {
  DELIVERY_MAX_ATTEMPTS,
  DELIVERY_OPTIONS,
  GENERATE_MAX_ATTEMPTS,
  STORE_OPTIONS,
} from './retryPolicies';
import {
  regenerateWorkflowId,
  type RegenerateInput,
  type RegenerateOutcome,
  type RegenerationTarget,
} from './contracts/regenerate';
import type { GeneratedReply } from './contracts/reply';

const { findRegeneration, loadHistory, loadQcPolicy, loadSessionMemory, recordRegeneration } =
  proxyLocalActivities<Activities>(STORE_OPTIONS);
const { reviseReply } = proxyActivities<Activities>(DELIVERY_OPTIONS);

/**
 * Writes a character's reply again for the person it answered and puts the new candidate in its place.
 * The reply is found (by a posted part, or the newest one to the user) and checked: theirs, a real
 * reply, under REGENERATE_MAX_PER_REPLY. Its prompt is rebuilt as ReplyWorkflow wrote it (the history
 * before the message answered, the same lore and wiki snippets and prompt version, the channel's
 * scenario and the session's memory as they are now), with the earlier candidates as ones not to
 * repeat. The new one is generated (through QC when it is on), edited into the posted message(s), and
 * recorded on the turn, the replaced one as dispreferred. One regeneration of a reply runs at a time:
 * under the id of its first part, which the request's run (a reaction's, a command's) runs as a child.
 */
export async function RegenerateWorkflow(input: RegenerateInput): Promise<RegenerateOutcome> {
  const lookup = await findRegeneration({
    channelId: input.channelId,
    messageId: input.messageId,
    characters: input.characters,
    userId: input.userId,
  });
  if (lookup.status !== 'found') return lookup;
  const { target } = lookup;
  const firstPart = target.postedMessageIds[0] as string;
  const canonicalId = regenerateWorkflowId(firstPart);
  if (workflowInfo().workflowId === canonicalId) return regenerate(input, target);
  try {
    return await executeChild(RegenerateWorkflow, {
      workflowId: canonicalId,
      args: [{ ...input, channelId: target.channelId, messageId: firstPart }],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { status: 'busy', character: target.character };
    throw err;
  }
}

async function regenerate(input: RegenerateInput, target: RegenerationTarget): Promise<RegenerateOutcome> {
  const { workflowId } = workflowInfo();
  const { character } = target;
  const index = target.candidateTexts.length;
  const [history, qcPolicy, memory] = await Promise.all([
    loadHistory(target.answeredTurn),
    loadQcPolicy(),
    loadSessionMemory({ channelId: target.channelId, userId: input.userId }),
  ]);
  const prompt: ReplyPrompt = {
    character,
    systemPrompt: target.promptText,
    history,
    context: target.ragContextUsed.filter((snippet) => snippet.origin !== 'lorebook'),
    userMessage: target.userMessage,
    userName: target.userName ?? input.userName,
    scenario: target.scenario,
    lore: target.ragContextUsed.filter((snippet) => snippet.origin === 'lorebook'),
    summary: memory.summary,
    userNotes: memory.userNotes,
    replacedReplies: target.candidateTexts,
  };

  let reply: GeneratedReply;
  let qcResult: QcTurnResult | null = null;
  try {
    if (qcPolicy) {
      ({ reply, qcResult } = await replyThroughQc({
        parentWorkflowId: `${workflowId}-${index}`,
        // Its own response id: the original's assessments stay as they were.
        responseId: `${target.responseId}:regenerate:${index}`,
        prompt,
        promptVersion: target.promptVersion,
        policy: qcPolicy,
      }));
    } else {
      reply = await llmActivities().generateReply(prompt);
    }
  } catch (err) {
    // Generation failed for good: dead-lettered (an admin can replay it), and the reply stays as it was.
    await deadLetterStep({
      step: 'generateReply',
      error: err,
      maxAttempts: GENERATE_MAX_ATTEMPTS,
      payload: { ...input },
    });
    return { status: 'failed', character };
  }

  let postedMessageIds: string[];
  try {
    postedMessageIds = await reviseReply({
      revisionId: `${target.responseId}:regenerate:${index}`,
      character,
      channelId: target.channelId,
      posted: target.postedMessageIds,
      text: reply.final,
      replyTo: target.replyToMessageId,
    });
  } catch (err) {
    await deadLetterStep({
      step: 'reviseReply',
      error: err,
      maxAttempts: DELIVERY_MAX_ATTEMPTS,
      payload: { ...input },
    });
    return { status: 'failed', character };
  }
  await recordRegeneration({
    responseId: target.responseId,
    character,
    index,
    text: reply.final,
    raw: reply.raw,
    promptVersion: target.promptVersion,
    requestedBy: input.userId,
    qc: qcResult,
    postedMessageIds,
  });
  return {
    status: 'regenerated',
    character,
    responseId: target.responseId,
    regenerations: index,
    limit: target.limit,
  };
}
