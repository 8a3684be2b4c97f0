/**
 * Types shared by workflows, activities, the bots and the admin API. Plain data only:
 * this file is loaded inside the workflow sandbox.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ReplyPrompt } from '../llm/prompt';
import type { QcTurnResult } from '../store/conversationHistory';
import type { QcMethod } from '../store/fineTuningData';

/** A Discord message as the bots hand it to a workflow. */
export interface IncomingMessage {
  messageId: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  authorName: string;
  content: string;
  /** ISO-8601, when Discord created it. */
  createdAt: string;
}

export interface ReplyInput {
  /** Roster name of the character answering, e.g. "Stewie". */
  character: string;
  message: IncomingMessage;
  /** How characters may answer each other afterwards; absent: they do not. */
  followUps?: FollowUpPolicy;
  /** Set when this reply answers another character's line (a follow-up). */
  chain?: ChainPosition;
  /** False for POST /orchestrate: the reply is stored and returned, not posted to Discord. */
  deliver?: boolean;
}

/**
 * Bounded bot-to-bot conversation. Workflows cannot read configuration, so the bots
 * (and the organic schedule) hand it over in the workflow input.
 */
export interface FollowUpPolicy {
  /** Most bot lines after the last human message (the first reply included); 0: none. */
  maxChain: number;
  /** Pause before a character answers another, like a person typing. */
  delayMs: number;
  /** No bot chatter once no human has spoken for this long. */
  idleMs: number;
  /** Who may answer: name, lower-case aliases, and the chance to chime in unprompted. */
  characters: Array<{ name: string; aliases: string[]; talkativeness: number }>;
}

/** Where a follow-up reply stands in its chain. */
export interface ChainPosition {
  /** Bot lines in the chain before this one. */
  length: number;
  /** ISO time of the human message (or organic start) the chain began with. */
  anchorAt: string;
  /** The turn of the line being answered (it is already in conversation_history). */
  answeredTurn: TurnRef;
}

export interface FollowUpInput {
  channelId: string;
  policy: FollowUpPolicy;
  /** The line just posted. */
  speaker: string;
  text: string;
  /** Its last Discord message id (anything newer means someone else spoke). */
  lastMessageId: string;
  turn: TurnRef;
  /** Bot lines in the chain so far, this one included. */
  length: number;
  anchorAt: string;
}

export type FollowUpOutcome =
  | { answeredBy: string; workflowId: string }
  | { answeredBy: null; reason: 'cap' | 'idle' | 'nobody' | 'interrupted' };

export function followUpWorkflowId(lastMessageId: string): string {
  return `follow-up-${lastMessageId}`;
}

export interface ReplyResult {
  /** conversation_history.response_id of the bot turn (= the workflow id). */
  responseId: string;
  character: string;
  text: string;
  promptVersion: string;
  /** The QC pass of the reply that was sent; null when QC is off or generation failed. */
  qc: QcTurnResult | null;
  /** Discord ids of the posted parts; empty if delivery failed and was dead-lettered. */
  deliveredMessageIds: string[];
  usedFallback: boolean;
  deadLetterIds: string[];
}

/** Where a turn landed in conversation_history. */
export interface TurnRef {
  session_id: string;
  turn_id: number;
}

/** The prompt version a reply uses (the session's A/B choice) and its fallback line. */
export interface CharacterPromptChoice {
  prompt_version: string;
  prompt_text: string;
  fallback_line: string;
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

export function qualityControlWorkflowId(replyWorkflowId: string): string {
  return `${replyWorkflowId}-qc`;
}

export interface GeneratedReply {
  /** Exactly what Ollama returned. */
  raw: string;
  /** After cleaning (labels, quotes, other speakers' lines removed) and trimming. */
  final: string;
  /** Length before it was trimmed to QC_MAX_REPLY_CHARS; absent when it was not. */
  trimmedFrom?: number;
}

export const REPLY_WORKFLOW_TYPE = 'ReplyWorkflow';

/**
 * One workflow per (Discord message, character): a gateway redelivery of the same
 * message maps to the same id, and Temporal refuses to start it twice.
 */
export function replyWorkflowId(messageId: string, character: string): string {
  return `reply-${messageId}-${character.toLowerCase()}`;
}

/** A conversation session is a Discord channel (or DM channel). */
export function sessionIdFor(channelId: string): string {
  return `discord:${channelId}`;
}

/** LLM activities run on their own queue so a worker can bound their concurrency. */
export function llmTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-llm`;
}

/** What an admin chooses when starting a wiki crawl. */
export interface WikiCrawlParams {
  /** Wiki root, e.g. https://familyguy.fandom.com */
  baseUrl: string;
  maxPages: number;
  /** Pause between page requests (politeness). */
  delayMs: number;
  /** Start from these article titles (link discovery) instead of the wiki's page list. */
  seedTitles: string[];
}

/** How a crawl finds its pages: the seed titles' links, the api.php article list, or links from a start page. */
export type CrawlMode = 'seeds' | 'listing' | 'links';

/** What planCrawl decided, and why (one line, also in the activity's log). */
export interface CrawlPlan {
  mode: CrawlMode;
  /** Follow links found in pages (seeds, or no api.php listing). */
  followLinks: boolean;
  /** The first pages to fetch. */
  urls: string[];
  /** The api.php that listed the articles (listing mode). */
  apiUrl: string | null;
  /** Where link discovery starts and who named it (links mode). */
  startPage: { url: string; source: 'siteinfo mainpage' | 'root redirect' | 'default' } | null;
  /**
   * e.g. "api.php at http://x/api.php: meta=siteinfo&list=allpages answered together -> listing mode
   * (31 articles)" or "no usable api.php (http://x/api.php answered 404; ...) -> link discovery from
   * http://x/wiki/Main_Page (from the root redirect)".
   */
  summary: string;
}

/** Where a crawl stands; carried across continue-as-new so nothing is fetched twice. */
export interface CrawlCursor {
  /** Article URLs still to fetch, in order. */
  queue: string[];
  /** Every URL ever queued (dedup for link discovery). */
  seen: string[];
  /** Canonical URLs indexed so far. */
  done: string[];
  /** URLs that failed for good (also dead-lettered). */
  failed: string[];
  chunksAdded: number;
  /** Follow links found in pages (no api.php page list, or seed titles given). */
  followLinks: boolean;
  paused: boolean;
  /** What planning decided (absent in cursors of older runs). */
  plan?: Omit<CrawlPlan, 'urls' | 'followLinks'>;
  /** Pages that answered 404, had no article text, or were HTTP redirects (counted for the failure message). */
  missing?: number;
  empty?: number;
  redirects?: number;
}

export interface WikiCrawlInput extends WikiCrawlParams {
  crawlId: string;
  /**
   * Upsert the CrawlStatus and CrawlPagesDone search attributes (CRAWL_SEARCH_ATTRIBUTES). Only when the
   * namespace has them registered (temporal/setup.sh): upserting an unregistered attribute fails the
   * workflow task. The admin API checks and sets it; absent: no search attributes.
   */
  searchAttributes?: boolean;
  /** Continue as new past this many history events (default 5,000; tests go lower). */
  maxHistoryEvents?: number;
  /** Set when the workflow continues as new. */
  cursor?: CrawlCursor;
}

export type CrawlState = 'PLANNING' | 'RUNNING' | 'PAUSED' | 'CANCELLED' | 'SUCCESS' | 'FAILED';

/** The answer of the `crawlProgress` query (and the workflow's memo `progress`). */
export interface CrawlProgress {
  crawlId: string;
  state: CrawlState;
  maxPages: number;
  pagesDone: number;
  queued: number;
  failed: number;
  chunksAdded: number;
  currentPage: string | null;
  /** How pages are found, once planned. */
  mode: CrawlMode | null;
  /** Why that mode (CrawlPlan.summary), once planned. */
  plan: string | null;
  /** Why the crawl FAILED or was CANCELLED; null otherwise. */
  error: string | null;
}

/** What crawling one page did. */
export interface CrawledPage {
  /**
   * indexed: chunks upserted; missing: 404; empty: no article text; redirect: an HTTP redirect to
   * `canonicalUrl` (not followed: the workflow fetches the target unless it has it already).
   */
  status: 'indexed' | 'missing' | 'empty' | 'redirect';
  /** The article's own URL (a redirect resolves to its target). */
  canonicalUrl: string;
  chunks: number;
  /** Normalised article URLs linked from the page. */
  links: string[];
}

/**
 * Search attributes a crawl upserts on every state change, when the namespace has them
 * (`WikiCrawlInput.searchAttributes`). Registered by temporal/search-attributes.txt (setup.sh and the
 * local dev server read it; a unit test keeps the two in step).
 */
export const CRAWL_SEARCH_ATTRIBUTES = {
  status: defineSearchAttributeKey('CrawlStatus', SearchAttributeType.KEYWORD),
  pagesDone: defineSearchAttributeKey('CrawlPagesDone', SearchAttributeType.INT),
} as const;

export const WIKI_CRAWL_WORKFLOW_TYPE = 'WikiCrawlWorkflow';

export function wikiCrawlWorkflowId(crawlId: string): string {
  return `wiki-crawl-${crawlId}`;
}

/**
 * When a monitored channel counts as silent enough for a character to start talking.
 * Seconds rather than minutes so tests can use small values; the schedule's action
 * carries these as its argument, so an admin changes them by updating the schedule.
 */
export interface OrganicThresholds {
  /** No turn in the channel for at least this long. */
  silenceSeconds: number;
  /** At least this long since the channel's last organic start. */
  cooldownSeconds: number;
  /** Optional UTC hours without organic starts, [startHour, endHour), wrapping midnight. */
  quietHoursUtc: { startHour: number; endHour: number } | null;
}

export interface SilenceCheckInput extends OrganicThresholds {
  channelId: string;
  /** How other characters may answer the starter (absent: they do not). */
  followUps?: FollowUpPolicy;
}

export type SilenceCheckOutcome =
  | { started: true; organicWorkflowId: string; result: OrganicConversationResult }
  | { started: false; reason: 'quiet-hours' | 'recent-activity' | 'cooldown' | 'already-started' };

/** What conversation_history says about a channel, for the silence check. */
export interface ChannelActivity {
  /** ISO-8601 of the channel's newest turn, or null for a channel nobody spoke in yet. */
  lastTurnAt: string | null;
  lastOrganicStartAt: string | null;
  /** bot_name of the last organic start. */
  lastInitiator: string | null;
}

export interface OrganicConversationInput {
  channelId: string;
  followUps?: FollowUpPolicy;
  /** Who started the previous organic conversation; the fallback choice avoids them. */
  lastInitiator: string | null;
}

export interface OrganicConversationResult {
  /** Null when even choosing failed (the LLM is unreachable): nothing was posted. */
  initiator: string | null;
  /** False when the model's choice was not a roster name and the fallback picked. */
  initiatorChosenByLlm: boolean;
  /** Null when generation failed for good (dead-lettered): nothing was posted. */
  text: string | null;
  deliveredMessageIds: string[];
}

export const SILENCE_CHECK_WORKFLOW_TYPE = 'SilenceCheckWorkflow';

/** One schedule per monitored channel; its fixed id is what makes creating it idempotent. */
export function organicScheduleId(channelId: string): string {
  return `organic-silence-check-${channelId}`;
}

/**
 * One organic conversation per channel and time bucket (a cooldown long): two checks
 * that both find the channel due start the same workflow id, which Temporal starts once.
 */
export function organicConversationWorkflowId(
  channelId: string,
  nowMs: number,
  cooldownSeconds: number,
): string {
  const bucketMs = Math.max(1, cooldownSeconds) * 1000;
  return `organic-${channelId}-${Math.floor(nowMs / bucketMs) * bucketMs}`;
}

/** A user's rating of a character's reply: a reaction added or removed, or /rate. */
export interface UserRatingInput {
  /** set: a rating reaction or /rate; remove: a rating reaction taken back. */
  action: 'set' | 'remove';
  /** 1-5 (for a removal: what the reaction meant). */
  score: number;
  /** `reaction:<emoji>` or `command`: a removal only removes the rating its reaction gave. */
  source: string;
  /** Discord id of the user rating. */
  userId: string;
  channelId: string;
  /** The rated Discord message (any part of a reply); null: `character`'s newest reply in the channel. */
  messageId: string | null;
  /** The character whose bot received the event. */
  character: string;
  feedbackText: string;
  /** Epoch ms when the bot received the event: of two events about one reply by one user, the later wins. */
  eventAt: number;
}

/** The reply a rating is about, from its bot turn in conversation_history. */
export interface RatedReply {
  responseId: string;
  character: string;
  promptVersion: string;
  text: string;
  /** The character's fallback line (the LLM failed): nothing the prompt wrote, so not rated. */
  usedFallback: boolean;
}

export type UserRatingOutcome =
  | {
      /**
       * recorded: a first rating; updated: the user's rating changed; superseded: a later
       * event of this user already rated it; removed / unchanged: a reaction taken back
       * did / did not remove the rating (it was not the one it gave).
       */
      status: 'recorded' | 'updated' | 'superseded' | 'removed' | 'unchanged';
      ratingId: string;
      responseId: string;
      character: string;
      score: number;
    }
  /** not-a-reply: the message is no character's reply; no-reply: the character has none in the channel. */
  | { status: 'not-a-reply' | 'no-reply'; character: string }
  | { status: 'fallback'; character: string; responseId: string };

export const USER_RATING_WORKFLOW_TYPE = 'UserRatingWorkflow';

/** Reactions have no id of their own: the reacted message, the user and the bot's receive time. */
export function reactionRatingWorkflowId(messageId: string, userId: string, eventAt: number): string {
  return `rating-${messageId}-${userId}-${eventAt}`;
}

/** A redelivered interaction maps to the same id, which Temporal starts once. */
export function commandRatingWorkflowId(interactionId: string): string {
  return `rating-command-${interactionId}`;
}

/** A change of a character's default prompt, by an admin (API or signal) or the review. */
export type PromptChangeRequest = {
  character: string;
  /** Who asked: "admin", an admin's name, "prompt_review". */
  by: string;
  reason: string;
} & ({ action: 'promote'; version: string } | { action: 'rollback' });

export interface PromptChangeResult {
  character: string;
  action: 'promote' | 'rollback';
  defaultVersion: string;
  /** The default it replaced; null when the version already was the default. */
  replaced: string | null;
}

/** A change as an admin asks for it (by and reason default to "admin" and "admin request"). */
export type PromptChangeAsk = { requestId: string; character: string; by?: string; reason?: string } & (
  { action: 'promote'; version: string } | { action: 'rollback' }
);

/** What PromptVersionsWorkflow did with a request, for the admin who sent it. */
export type PromptChangeOutcome = { requestId: string } & (
  { ok: true; result: PromptChangeResult } | { ok: false; error: string }
);

export interface PromptOptimizerInput {
  character: string;
  baseVersion: string;
  challengerPercentage: number;
}

/**
 * One prompt review schedule and one PromptVersionsWorkflow per deployment; the task
 * queue names the deployment, so two sharing a Temporal namespace do not collide.
 */
export function promptReviewScheduleId(taskQueue: string): string {
  return `prompt-review-${taskQueue}`;
}

export function promptVersionsWorkflowId(taskQueue: string): string {
  return `prompt-versions-${taskQueue}`;
}
