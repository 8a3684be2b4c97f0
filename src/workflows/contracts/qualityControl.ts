/** The quality-control family's contract: the child workflow ReplyWorkflow runs when QC is on. */
import type { ReplyPrompt } from '../../llm/prompt';
import type { QcMethod } from '../../store/fineTuningData';
import type { GeneratedReply } from './reply';

export function qualityControlWorkflowId(replyWorkflowId: string): string {
  return `${replyWorkflowId}-qc`;
}

/** How replies are checked before they are sent; null from loadQcPolicy when QC is off. */
export interface QcPolicy {
  /** Score (1-5) a candidate needs to be sent without regenerating. */
  minScore: number;
  /** New candidates after the first one is rejected. */
  maxRegenerations: number;
  /** Longer candidates fail the length rule. */
  maxReplyChars: number;
}

/**
 * Score recorded when the reviewer's answer cannot be parsed or the reviewer cannot be
 * reached: the rule checks passed, and sampling again would not make the reviewer more
 * legible, so the candidate is sent. Averages leave these scores out.
 */
export const QC_FALLBACK_SCORE = 3;

export interface QcAssessment {
  score: number;
  feedback: string;
  method: QcMethod;
  /** Rule names the candidate broke (including ones cleaning removed). */
  rules: string[];
}

export interface QualityControlInput {
  /** The reply's response id: every assessment is logged against it. */
  responseId: string;
  prompt: ReplyPrompt;
  promptVersion: string;
  policy: QcPolicy;
}

export interface QualityControlResult {
  /** The best-scoring candidate (the first of equals). */
  reply: GeneratedReply;
  assessment: QcAssessment;
  /** Candidates generated, the first included. */
  attempts: number;
  /** False when no candidate reached the minimum score and the best was sent anyway. */
  accepted: boolean;
}
