import { Ollama, type Message } from 'ollama';

export type ChatMessage = Message;

export interface ChatOptions {
  /**
   * Called as output arrives (and on a timer while waiting), so the caller can heartbeat, or show the
   * answer as it is written (live replies).
   */
  onProgress?: (charsSoFar: number, textSoFar: string) => void;
  /** Aborts the call, e.g. when Temporal cancels the activity. */
  signal?: AbortSignal;
  /**
   * A JSON schema the answer must follow (Ollama's structured outputs: sampling is constrained by a grammar).
   * Small models still fill it with wrong values, so callers validate what comes back.
   */
  format?: JsonSchema;
  /** Most tokens this answer may have, when it needs more room than the setting gives (a whole prompt). */
  maxTokens?: number;
}

/** The subset of JSON Schema this project hands to Ollama. */
export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  properties?: Record<string, JsonSchema>;
  /** An array's elements. */
  items?: JsonSchema;
  maxItems?: number;
  required?: string[];
  enum?: ReadonlyArray<string | number>;
  minLength?: number;
  maxLength?: number;
}

/** What the model answered. */
export interface ChatAnswer {
  text: string;
  /** The answer hit the token limit (num_predict) rather than ending by itself: its last sentence may be cut. */
  cutOff: boolean;
}

/** What the activities need from an LLM: one chat completion. */
export interface LlmClient {
  chat(messages: ChatMessage[], options?: ChatOptions): Promise<ChatAnswer>;
}

export interface OllamaSettings {
  host: string;
  model: string;
  temperature: number;
  /** Always sent: Ollama's default context (2048) silently truncates long prompts. */
  numCtx: number;
  /** Most tokens one answer may have: a model that does not stop is cut off here, not at the timeout. */
  numPredict: number;
  timeoutMs: number;
}

const PROGRESS_TICK_MS = 2000;

/**
 * Chat through the `ollama` client, streamed so that a slow model shows progress and a
 * dead connection is noticed, with a hard timeout per call.
 */
export function createOllamaLlm(settings: OllamaSettings): LlmClient {
  const ollama = new Ollama({ host: settings.host });
  return {
    async chat(messages, { onProgress, signal, format, maxTokens } = {}) {
      const stream = await ollama.chat({
        model: settings.model,
        messages,
        stream: true,
        ...(format && { format }),
        options: {
          temperature: settings.temperature,
          num_ctx: settings.numCtx,
          num_predict: Math.max(settings.numPredict, maxTokens ?? 0),
        },
      });
      let text = '';
      let cutOff = false;
      let timedOut = false;
      const abort = () => stream.abort();
      const timeout = setTimeout(() => {
        timedOut = true;
        abort();
      }, settings.timeoutMs);
      const tick = setInterval(() => onProgress?.(text.length, text), PROGRESS_TICK_MS);
      signal?.addEventListener('abort', abort);
      try {
        for await (const part of stream) {
          text += part.message.content;
          if (part.done) cutOff = part.done_reason === 'length';
          onProgress?.(text.length, text);
        }
      } catch (err) {
        if (timedOut)
          throw new Error(`Ollama did not finish within ${settings.timeoutMs} ms (model ${settings.model})`);
        throw err;
      } finally {
        clearTimeout(timeout);
        clearInterval(tick);
        signal?.removeEventListener('abort', abort);
      }
      return { text, cutOff };
    },
  };
}
