import type { RosterView } from '../characters/liveRoster';
import type { DiscordPoster } from '../discord/rest';
import type { WikiKnowledge } from '../knowledge/wikiKnowledge';
import type { LlmClient } from '../llm/ollamaChat';
import type { Store } from '../store/mongo';
import type { SessionMemoryPolicy } from '../workflows/contracts/memory';
import type { QcPolicy } from '../workflows/contracts/qualityControl';
import { createConversationActivities } from './conversation';
import { createCoordinatorActivities } from './coordinator';
import { createForgetUserActivities } from './forgetUser';
import { createDeadLetterActivities } from './deadLetters';
import { createDeliveryActivities } from './delivery';
import { createKnowledgeActivities } from './knowledge';
import { createLlmActivities, type LiveReplySettings } from './llm';
import { createMemoryActivities } from './memory';
import { createMetricsActivities } from './metrics';
import { createPromptActivities } from './prompts';
import { createQualityActivities } from './quality';
import { createRatingActivities } from './ratings';
import { createRegenerateActivities } from './regenerate';
import { createCrawlActivities } from './wikiCrawl';

/** Everything activities touch, built once by the worker (or a test, over fakes). */
export interface ActivityDeps {
  store: Store;
  llm: LlmClient;
  discord: DiscordPoster;
  /** The wiki knowledge base: retrieval for replies, embedder and collection for crawls. */
  knowledge: WikiKnowledge;
  /** The roster as it is now (characters imported or retired at run time included) and the channels' casts. */
  roster: RosterView;
  historyWindow: number;
  /** QC settings; null when QC is off. */
  qc: QcPolicy | null;
  /** REGENERATE_MAX_PER_REPLY: regenerations the person a reply answered may ask for. */
  regenerateMaxPerReply: number;
  /** How sessions are summarised; null when they are not (MEMORY_SUMMARY_EVERY=0). */
  memory: SessionMemoryPolicy | null;
  live: LiveReplySettings;
}

/** Activities on the main task queue: MongoDB, Chroma, wiki and Discord I/O. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConversationActivities(deps),
    ...createKnowledgeActivities({ retriever: deps.knowledge }),
    ...createCrawlActivities(deps),
    ...createDeliveryActivities(deps),
    ...createDeadLetterActivities(deps),
    ...createQualityActivities(deps),
    ...createRatingActivities(deps),
    ...createRegenerateActivities(deps),
    ...createPromptActivities(deps),
    ...createMetricsActivities(deps),
    ...createMemoryActivities(deps),
    ...createCoordinatorActivities(deps),
    ...createForgetUserActivities(deps),
  };
}

/** Activities on the LLM task queue, whose concurrency is bounded to protect the GPU. */
export { createLlmActivities };

export type Activities = ReturnType<typeof createActivities>;
export type LlmActivities = ReturnType<typeof createLlmActivities>;
