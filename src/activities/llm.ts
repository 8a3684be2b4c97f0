import { ApplicationFailure, Context } from '@temporalio/activity';
import { cleanReply } from '../llm/clean';
import type { LlmClient } from '../llm/ollamaChat';
import {
  buildInitiatorChoiceMessages,
  buildStarterMessages,
  parseCharacterChoice,
  tidyStarter,
  type StarterPrompt,
} from '../llm/organicPrompt';
import { buildReplyMessages, type HistoryLine, type ReplyPrompt } from '../llm/prompt';
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

    /**
     * Asks the model who should start a conversation. `choice` is null when the answer is
     * not exactly a roster name; `candidates` (the roster without the last initiator) is
     * what the workflow falls back to.
     */
    async chooseOrganicInitiator(input: {
      history: HistoryLine[];
      lastInitiator: string | null;
    }): Promise<{ choice: string | null; raw: string; candidates: string[] }> {
      const context = Context.current();
      const characters = deps.characterNames;
      const raw = await deps.llm.chat(buildInitiatorChoiceMessages({ ...input, characters }), {
        onProgress: (chars) => context.heartbeat(chars),
        signal: context.cancellationSignal,
      });
      const others = characters.filter((name) => name !== input.lastInitiator);
      return {
        choice: parseCharacterChoice(raw, characters),
        raw,
        candidates: others.length > 0 ? others : characters,
      };
    },

    /** A short opening line in character, without mentions. */
    async generateOrganicStarter(prompt: StarterPrompt): Promise<GeneratedReply> {
      const context = Context.current();
      const raw = await deps.llm.chat(buildStarterMessages(prompt), {
        onProgress: (chars) => context.heartbeat(chars),
        signal: context.cancellationSignal,
      });
      const others = deps.characterNames.filter((name) => name !== prompt.character);
      const final = tidyStarter(cleanReply(raw, prompt.character, others));
      if (final === '') {
        throw ApplicationFailure.retryable(
          `the model's starter was empty after cleaning: ${JSON.stringify(raw.slice(0, 200))}`,
          'EmptyReply',
        );
      }
      return { raw, final };
    },
  };
}
