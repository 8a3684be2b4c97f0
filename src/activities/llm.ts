import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { RosterView } from '../characters/liveRoster';
import { cleanReply } from '../llm/clean';
import type { ChatAnswer, ChatMessage, ChatOptions, LlmClient } from '../llm/ollamaChat';
import {
  buildAnswererChoiceMessages,
  buildInitiatorChoiceMessages,
  buildStarterMessages,
  characterChoiceSchema,
  parseCharacterChoice,
  tidyStarter,
  type AnswererChoicePrompt,
  type StarterPrompt,
} from '../llm/organicPrompt';
import {
  buildOptimizerMessages,
  OPTIMIZER_MAX_TOKENS,
  tidySuggestedPrompt,
  type OptimizerPrompt,
} from '../llm/optimizerPrompt';
import { buildReplyMessages, type HistoryLine, type ReplyPrompt } from '../llm/prompt';
import { buildQcMessages, parseQcVerdict, QC_VERDICT_SCHEMA } from '../llm/qcPrompt';
import {
  buildSummaryMessages,
  parseSummaryAnswer,
  speakerLabels,
  SUMMARY_MAX_TOKENS,
  summaryWithNotesSchema,
  type SummaryPrompt,
  type WrittenSummary,
} from '../llm/summaryPrompt';
import {
  checkReply,
  describeViolations,
  trimToLength,
  unfixedViolations,
  type ReplyLengthLimit,
} from '../llm/qcRules';
import { QC_FALLBACK_SCORE, type QcAssessment } from '../workflows/contracts/qualityControl';
import type { GeneratedReply, LiveReply, LiveReplyInput } from '../workflows/contracts/reply';
import { isPermanentDiscordError, type DiscordPoster } from '../discord/rest';
import { LiveMessage } from '../discord/liveMessage';
import { heartbeatedIds } from './delivery';

/** Live replies (LIVE_REPLIES, LIVE_EDIT_INTERVAL_MS). */
export interface LiveReplySettings {
  /** Replies are live where a channel's live_replies does not say. */
  byDefault: boolean;
  /** Least time between two revisions of a live reply. */
  editIntervalMs: number;
  /** Lower-cased names of the characters with a bot of their own (never the tokens): only theirs can be live. */
  botCharacters: string[];
}

/** LLM activities; the worker runs them on their own task queue with bounded concurrency. */
export function createLlmActivities(deps: {
  llm: LlmClient;
  roster: RosterView;
  /** Live replies post and edit as the model writes. */
  discord: DiscordPoster;
  live: LiveReplySettings;
}) {
  /** Everyone else on the roster: whose lines cleaning and QC take out of a character's reply. */
  const othersThan = (character: string) =>
    deps.roster
      .active()
      .map((c) => c.name)
      .filter((name) => name !== character);

  /**
   * One chat call from inside an activity: it heartbeats and stops when Temporal cancels the activity.
   * `progress` says what each heartbeat carries (default: the characters written so far).
   */
  const ask = (
    messages: ChatMessage[],
    options: Pick<ChatOptions, 'format' | 'maxTokens'> = {},
    progress: (chars: number, textSoFar: string) => unknown = (chars) => chars,
  ): Promise<ChatAnswer> => {
    const context = Context.current();
    return deps.llm.chat(messages, {
      ...options,
      // Heartbeats tell Temporal this worker is alive while the model thinks; if the
      // worker dies, the heartbeat timeout hands the call to another worker.
      onProgress: (chars, textSoFar) => context.heartbeat(progress(chars, textSoFar)),
      signal: context.cancellationSignal,
    });
  };

  /** The model's pick of one of `characters` under the choice schema; `choice` null: no usable answer. */
  const chooseCharacter = async (
    messages: ChatMessage[],
    characters: string[],
  ): Promise<{ choice: string | null; raw: string }> => {
    const { text: raw } = await ask(messages, { format: characterChoiceSchema(characters) });
    return { choice: parseCharacterChoice(raw, characters), raw };
  };

  /** The character's reply in the model's answer; an answer empty after cleaning is a retryable failure. */
  const cleanedReply = (raw: string, character: string, cutOff: boolean): string => {
    const cleaned = cleanReply(raw, character, othersThan(character), cutOff);
    if (cleaned === '') {
      // Retryable: sampling again usually gives a real answer.
      throw ApplicationFailure.retryable(
        `the model's answer was empty after cleaning: ${JSON.stringify(raw.slice(0, 200))}`,
        'EmptyReply',
      );
    }
    return cleaned;
  };

  return {
    /**
     * One candidate reply, cleaned. With `limit` (QC on), an answer over the limit is trimmed on a
     * sentence boundary when that keeps most of it (or whatever it loses, with `limit.force`); one
     * that is still too long is left to QC's too_long rule.
     */
    async generateReply(prompt: ReplyPrompt, limit?: ReplyLengthLimit): Promise<GeneratedReply> {
      const { text: raw, cutOff } = await ask(buildReplyMessages(prompt));
      const cleaned = cleanedReply(raw, prompt.character, cutOff);
      const final = (limit && trimToLength(cleaned, limit)) ?? cleaned;
      return final === cleaned ? { raw, final } : { raw, final, trimmedFrom: cleaned.length };
    },

    /**
     * A reply (QC off) posted as the model writes it: the first words at once, then edits at most once per
     * LIVE_EDIT_INTERVAL_MS, more parts past 2000 characters, and last the cleaned final text. Exactly once
     * across retries: the heartbeat carries the ids of the posted parts and each part's post carries a
     * nonce from (response, part), so a retry edits the same messages (a post whose heartbeat was lost
     * meets its nonce and Discord answers with the earlier message). Only for characters posting through
     * their own bot: webhook posts take no nonce (loadLoreAndScenario decides).
     */
    async generateLiveReply(input: LiveReplyInput): Promise<LiveReply> {
      const context = Context.current();
      const { prompt } = input;
      const others = othersThan(prompt.character);
      const live = new LiveMessage(
        deps.discord,
        {
          character: prompt.character,
          channelId: input.channelId,
          replyTo: input.replyTo,
          idempotencyPrefix: input.responseId,
        },
        deps.live.editIntervalMs,
        heartbeatedIds() ?? [],
        (ids) => context.heartbeat(ids),
      );
      try {
        // Each heartbeat carries the posted ids: a retry edits those messages.
        const { text: raw, cutOff } = await ask(buildReplyMessages(prompt), {}, (_chars, textSoFar) => {
          live.update(cleanReply(textSoFar, prompt.character, others));
          return live.postedIds;
        });
        const final = cleanedReply(raw, prompt.character, cutOff);
        return { reply: { raw, final }, postedIds: await live.finish(final) };
      } catch (err) {
        throw liveReplyFailure(err, live.postedIds);
      }
    },

    /**
     * QC of one candidate: the rule checks first (a candidate that breaks one is scored
     * 1-2 without an LLM call), then the reviewer prompt, whose JSON verdict is parsed
     * strictly; an unparseable verdict falls back to the rule checks' pass.
     */
    async assessReply(input: {
      prompt: ReplyPrompt;
      candidate: GeneratedReply;
      maxReplyChars: number;
    }): Promise<QcAssessment> {
      const { prompt, candidate } = input;
      const violations = checkReply({
        raw: candidate.raw,
        final: candidate.final,
        character: prompt.character,
        otherCharacters: othersThan(prompt.character),
        maxChars: input.maxReplyChars,
      });
      const rules = violations.map((v) => v.rule);
      const blocking = unfixedViolations(violations);
      if (blocking.length > 0) {
        return {
          score: blocking.length > 1 ? 1 : 2,
          feedback: `rule checks failed: ${describeViolations(violations)}`,
          method: 'rules',
          rules,
        };
      }
      const { text: answer } = await ask(buildQcMessages(prompt, candidate.final), {
        format: QC_VERDICT_SCHEMA,
      });
      const trimmed = candidate.trimmedFrom
        ? ` [trimmed from ${candidate.trimmedFrom} characters to fit QC_MAX_REPLY_CHARS]`
        : '';
      const notes = `${violations.length > 0 ? ` [rule checks: ${describeViolations(violations)}]` : ''}${trimmed}`;
      const verdict = parseQcVerdict(answer);
      if (!verdict) {
        return {
          score: QC_FALLBACK_SCORE,
          feedback: `reviewer's answer was not the JSON asked for (${JSON.stringify(answer.slice(0, 200))}); rule checks passed${notes}`,
          method: 'fallback',
          rules,
        };
      }
      return { score: verdict.score, feedback: verdict.justification + notes, method: 'llm', rules };
    },

    /** The optimiser's rewrite of a character's prompt, from its lowest- and highest-rated replies. */
    async suggestPromptImprovement(prompt: OptimizerPrompt): Promise<string> {
      const { text: raw } = await ask(buildOptimizerMessages(prompt), { maxTokens: OPTIMIZER_MAX_TOKENS });
      const suggested = tidySuggestedPrompt(raw, prompt.currentPrompt);
      if (!suggested) {
        throw ApplicationFailure.retryable(
          `the model's prompt rewrite is not a usable prompt (${raw.length} characters): ${JSON.stringify(raw.slice(0, 200))}`,
          'UnusablePrompt',
        );
      }
      return suggested;
    },

    /**
     * Asks the model who should start a conversation. `choice` is null when the answer is
     * not the JSON naming a roster character; `candidates` (the roster without the last initiator) is
     * what the workflow falls back to.
     */
    async chooseOrganicInitiator(input: {
      history: HistoryLine[];
      lastInitiator: string | null;
      /** Absent in runs from before casts: every active character may start. */
      channelId?: string;
    }): Promise<{ choice: string | null; raw: string; candidates: string[]; weights?: number[] }> {
      const present = input.channelId ? await deps.roster.presentIn(input.channelId) : deps.roster.active();
      if (present.length === 0) {
        throw ApplicationFailure.nonRetryable(
          `no active character is in the cast of channel ${input.channelId ?? '(none)'}`,
          'EmptyCast',
        );
      }
      const characters = present.map((c) => c.name);
      const { choice, raw } = await chooseCharacter(
        buildInitiatorChoiceMessages({
          history: input.history,
          lastInitiator: input.lastInitiator,
          characters,
        }),
        characters,
      );
      const others = present.filter((c) => c.name !== input.lastInitiator);
      const candidates = others.length > 0 ? others : present;
      return {
        choice,
        raw,
        candidates: candidates.map((c) => c.name),
        // The fallback pick favours the talkative (a card's extensions.talkativeness).
        weights: candidates.map((c) => c.talkativeness),
      };
    },

    /**
     * Asks the model which of `characters` answers a message that names nobody (the coordinator);
     * `choice` null: the answer was not the JSON naming one of them (the workflow falls back).
     */
    async chooseAnswerer(prompt: AnswererChoicePrompt): Promise<{ choice: string | null; raw: string }> {
      return chooseCharacter(buildAnswererChoiceMessages(prompt), prompt.characters);
    },

    /** A short opening line in character, without mentions. */
    async generateOrganicStarter(prompt: StarterPrompt): Promise<GeneratedReply> {
      const openers = deps.roster.find(prompt.character)?.organic_starters ?? [];
      const { text: raw, cutOff } = await ask(buildStarterMessages({ ...prompt, openers }));
      const final = tidyStarter(cleanReply(raw, prompt.character, othersThan(prompt.character), cutOff));
      if (final === '') {
        throw ApplicationFailure.retryable(
          `the model's starter was empty after cleaning: ${JSON.stringify(raw.slice(0, 200))}`,
          'EmptyReply',
        );
      }
      return { raw, final };
    },

    /**
     * The session's next summary: the previous one extended with the new turns (and, when asked, notes
     * about the people, as JSON under a schema). An answer without a usable summary is retried.
     */
    async summariseConversation(prompt: SummaryPrompt): Promise<WrittenSummary> {
      const labels = [...speakerLabels(prompt.turns).values()];
      const { text } = await ask(buildSummaryMessages(prompt), {
        maxTokens: SUMMARY_MAX_TOKENS,
        ...(prompt.userNotes && { format: summaryWithNotesSchema(labels) }),
      });
      const written = parseSummaryAnswer(text, prompt);
      if (!written) {
        throw ApplicationFailure.retryable(
          `the model's summary is not usable: ${JSON.stringify(text.slice(0, 200))}`,
          'UnusableSummary',
        );
      }
      return written;
    },
  };
}

/**
 * A live reply's failure, carrying the ids of the parts it had posted (details[0]): if it is the last
 * attempt's, the workflow's fallback line replaces them. As retryable as the error was; Discord's refusals
 * are final. A cancellation stays one.
 */
function liveReplyFailure(err: unknown, postedIds: string[]): unknown {
  if (err instanceof CancelledFailure) return err;
  const refused = isPermanentDiscordError(err);
  const failure = err instanceof ApplicationFailure ? err : undefined;
  return ApplicationFailure.create({
    message: err instanceof Error ? err.message : String(err),
    type: refused ? 'DiscordRejected' : (failure?.type ?? (err instanceof Error ? err.name : 'Error')),
    nonRetryable: refused || (failure?.nonRetryable ?? false),
    details: [postedIds],
    cause: err instanceof Error ? err : undefined,
  });
}
