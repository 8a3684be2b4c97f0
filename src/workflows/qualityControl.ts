import { executeChild, log, proxyLocalActivities } from '@temporalio/workflow';
import type { ReplyPrompt } from '../llm/prompt';
import type { QcTurnResult } from '../store/conversationHistory';
import type { Activities } from '../activities';
import { rootCause } from './deadLetters';
import { STORE_OPTIONS } from './retryPolicies';
import { llmActivities } from './llmActivities';
import {
  QC_FALLBACK_SCORE,
  qualityControlWorkflowId,
  type QcAssessment,
  type QcPolicy,
  type QualityControlInput,
  type QualityControlResult,
} from './contracts/qualityControl';
import type { GeneratedReply } from './contracts/reply';

const { recordQcAssessment } = proxyLocalActivities<Activities>(STORE_OPTIONS);

/**
 * Generates candidates until one scores at least the minimum (or regenerations run out)
 * and returns the best. Every assessment is logged to fine_tuning_data. A child of
 * ReplyWorkflow, so each QC pass is its own run in the Temporal UI.
 *
 * Length (QC_MAX_REPLY_CHARS) costs at most one regeneration: generateReply trims a
 * too-long answer on a sentence boundary when that keeps most of it; one it cannot trim so
 * fails the too_long rule (no reviewer call), and the next candidate is asked to be short
 * and is trimmed whatever that loses, as is the last candidate allowed.
 */
export async function QualityControlWorkflow(input: QualityControlInput): Promise<QualityControlResult> {
  const { generateReply, assessReply } = llmActivities();
  const { prompt, policy } = input;
  let best: { reply: GeneratedReply; assessment: QcAssessment } | undefined;
  let attempts = 0;
  /** Set once a candidate ran over the limit: later ones are asked to be short, and trimmed. */
  let askShort = false;

  while (attempts <= policy.maxRegenerations) {
    let reply: GeneratedReply;
    try {
      reply = await generateReply(askShort ? { ...prompt, keepUnderChars: policy.maxReplyChars } : prompt, {
        maxChars: policy.maxReplyChars,
        force: askShort || attempts === policy.maxRegenerations,
      });
    } catch (err) {
      // The first candidate's failure is the reply's failure (dead-lettered by the parent);
      // a later one only ends the search with the best candidate so far.
      if (!best) throw err;
      log.warn('regeneration failed; sending the best candidate so far', { error: rootCause(err) });
      break;
    }
    attempts++;
    let assessment: QcAssessment;
    try {
      assessment = await assessReply({ prompt, candidate: reply, maxReplyChars: policy.maxReplyChars });
    } catch (err) {
      // The reviewer being unreachable is no reason to keep the user waiting.
      assessment = {
        score: QC_FALLBACK_SCORE,
        feedback: `QC could not run: ${rootCause(err)}`,
        method: 'fallback',
        rules: [],
      };
    }
    await recordQcAssessment({
      responseId: input.responseId,
      character: prompt.character,
      promptVersion: input.promptVersion,
      attempt: attempts,
      candidate: reply.final,
      assessment,
    });
    // Without a verdict, sampling again cannot help the reviewer: this candidate goes out.
    if (assessment.method === 'fallback') return { reply, assessment, attempts, accepted: true };
    if (assessment.rules.includes('too_long')) askShort = true;
    if (!best || assessment.score > best.assessment.score) best = { reply, assessment };
    if (assessment.score >= policy.minScore) return { ...best, attempts, accepted: true };
  }
  if (!best) throw new Error('unreachable: the loop generates at least one candidate');
  return { ...best, attempts, accepted: false };
}

/**
 * A reply checked by QC, as a child QualityControlWorkflow named after the calling workflow (a reply,
 * a regeneration): the best candidate and what QC made of it, as a turn records it.
 */
export async function replyThroughQc(options: {
  /** Names the QC run: qualityControlWorkflowId(parentWorkflowId). */
  parentWorkflowId: string;
  /** What every assessment is logged against in fine_tuning_data. */
  responseId: string;
  prompt: ReplyPrompt;
  promptVersion: string;
  policy: QcPolicy;
}): Promise<{ reply: GeneratedReply; qcResult: QcTurnResult }> {
  const qc = await executeChild(QualityControlWorkflow, {
    workflowId: qualityControlWorkflowId(options.parentWorkflowId),
    args: [
      {
        responseId: options.responseId,
        prompt: options.prompt,
        promptVersion: options.promptVersion,
        policy: options.policy,
      },
    ],
  });
  const { score, feedback, method } = qc.assessment;
  return {
    reply: qc.reply,
    qcResult: { score, feedback, method, attempts: qc.attempts, accepted: qc.accepted },
  };
}
