import { ApplicationFailure, Context } from '@temporalio/activity';
import { cleanReply } from '../llm/clean';
import type { LlmClient } from '../llm/ollamaChat';
import { buildReplyMessages, type ReplyPrompt } from '../llm/prompt';
import type { GeneratedReply } from '../workflows/types';

/** LLM activities; the worker runs them on their own task queue with bounded concurrency. */
export function createLlmActivities(deps: { llm: LlmClient; characterNames: string[] }) {
  return {
    async generateReply(prompt: ReplyPrompt): Promise<GeneratedReply> {
      const context = Context.current();
      const raw = await deps.llm.chat(buildReplyMessages(prompt), {
        // Heartbeats tell Temporal this worker is alive while the model thinks; if the
        // worker dies, the heartbeat timeout hands the call to another worker.
        onProgress: (chars) => context.heartbeat(chars),
        signal: context.cancellationSignal,
      });
      const others = deps.characterNames.filter((name) => name !== prompt.character);
      const final = cleanReply(raw, prompt.character, others);
      if (final === '') {
        // Retryable: sampling again usually gives a real answer.
        throw ApplicationFailure.retryable(
          `the model's answer was empty after cleaning: ${JSON.stringify(raw.slice(0, 200))}`,
          'EmptyReply',
        );
      }
      return { raw, final };
    },
  };
}
