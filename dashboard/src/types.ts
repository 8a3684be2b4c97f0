/** The admin API's answers, as the dashboard reads them (snake_case JSON; dates are ISO strings). */
import type { CrawlProgress as WorkflowCrawlProgress } from '../../src/workflows/contracts/wikiCrawl';

export interface HealthResult {
  ok: boolean;
  latency_ms?: number;
  detail?: string;
  error?: string;
}

export interface Overview {
  health: Record<string, HealthResult>;
  replies_per_hour: { hour: string; replies: number; fallbacks: number }[];
  dead_letters: Partial<Record<DeadLetterStatus, number>>;
  qc_average: number | null;
  fallbacks: number;
  replies: number;
  temporal_ui_url: string | null;
  temporal_namespace?: string;
  /** Set when the figures could not be read (health is still there). */
  error?: string;
}

export interface PromptChange {
  timestamp: string;
  action: string;
  by: string;
  reason: string;
  replaced_version?: string | null;
  ab_test_percentage?: number;
}

export interface PromptVersion {
  character_name: string;
  prompt_version: string;
  prompt_text: string;
  is_default: boolean;
  ab_test_percentage: number;
  creation_date: string;
  performance_metrics: Record<string, number>;
  fallback_line: string;
  default_since: string | null;
  based_on: string | null;
  created_by: string;
  change_log: PromptChange[];
}

export interface SeriesPoint {
  day: string;
  qc_count: number;
  qc_avg: number | null;
  user_count: number;
  user_avg: number | null;
}

export interface PromptSeries {
  character: string;
  versions: { version: string; points: SeriesPoint[] }[];
}

export type DeadLetterStatus = 'PENDING' | 'REPLAYED' | 'DISCARDED';

export interface DeadLetter {
  _id: string;
  failed_event_payload: Record<string, unknown>;
  error_details: string;
  timestamp: string;
  retry_attempts: number;
  workflow_type: string;
  workflow_id: string;
  failed_step: string;
  status: DeadLetterStatus;
  replay_workflow_id?: string;
  resolved_at?: string;
  resolved_by?: string;
}

/** GET /crawls/:id: the crawl workflow's progress (its query's answer) and the workflow it runs as. */
export type CrawlProgress = WorkflowCrawlProgress & { workflow_id: string; workflow_status: string };

export interface CrawlHistoryEntry {
  _id: string;
  last_crawl_timestamp: string;
  pages_crawled: number;
  documents_added: number;
  status: 'IN_PROGRESS' | 'SUCCESS' | 'FAILED';
  error_message: string | null;
  workflow_id?: string;
}

export interface SessionSummary {
  session_id: string;
  channel_id: string;
  last_turn_at: string;
  turns: number;
}

export interface Snippet {
  title: string;
  url: string;
  text: string;
}

/** The stored QC result plus `passed` (= accepted); null when QC was off. */
export interface QcResult {
  score?: number;
  passed?: boolean;
  accepted?: boolean;
  feedback?: string;
  method?: string;
  attempts?: number;
}

export interface Turn {
  turn_id: number | string;
  role: 'user' | 'bot' | 'system';
  /** The user id (user turns) or the character (bot turns). */
  author: string;
  character?: string;
  text: string;
  created_at: string;
  prompt_version?: string | null;
  qc?: QcResult | null;
  rag_context_used?: Snippet[];
  /** null: the model gave nothing (a fallback line was posted). */
  raw_text?: string | null;
  final_text?: string | null;
  used_fallback?: boolean;
  is_organic_initiation?: boolean;
  /** A regenerated reply: every version, oldest first, and the index of the one that stands. */
  candidates?: ReplyCandidate[];
  chosen_candidate?: number;
}

export interface ReplyCandidate {
  text: string;
  source: 'original' | 'regenerate';
  /** Who asked for it (null: the original). */
  requested_by: string | null;
  prompt_version: string;
  qc_score: number | null;
  created_at: string;
}

export interface OrganicSettings {
  silence_seconds: number;
  cooldown_seconds: number;
  quiet_hours_utc: { start_hour: number; end_hour: number } | null;
  check_seconds: number | null;
}

export interface OrganicChannel {
  channel_id: string;
  paused: boolean;
  note: string | null;
  settings: OrganicSettings;
  last_check_at: string | null;
  last_starter: { character: string; at: string } | null;
  next_action_times: string[];
}

export interface PlaygroundReply {
  character: string;
  text: string;
  response_id: string;
  prompt_version: string;
  qc: QcResult | null;
  snippets: Snippet[];
  latency_ms: number;
  used_fallback: boolean;
}

export interface PlaygroundReplyStatus {
  status: 'running' | 'done' | 'failed';
  reply?: PlaygroundReply;
  error?: string;
}

/** How a character's lines reach Discord: its own bot token, the cast bot's webhooks, or nowhere. */
export type Delivery = 'bot' | 'webhook' | 'offline';

/** GET /characters: a roster entry as the admin API shows it (the avatar itself is GET /avatars/:name). */
export interface CharacterSummary {
  name: string;
  aliases: string[];
  status: 'active' | 'retired';
  source: 'builtin' | 'file' | 'card' | 'admin';
  talkativeness: number;
  fallback_line: string;
  organic_starters: string[];
  has_avatar: boolean;
  avatar_url: string | null;
  delivery: Delivery;
  default_prompt_version: string | null;
}

/** POST /characters/import's answer. */
export interface ImportResult {
  name: string;
  prompt_version: string;
  lore_entries: number;
  starters: number;
}

/** GET /channels/:id: a channel's cast (null: every active character), scenario and follow-up limit. */
export interface ChannelSettings {
  channel_id: string;
  cast: string[] | null;
  scenario: string | null;
  /** null: FOLLOW_UP_MAX_CHAIN. */
  follow_up_max_chain: number | null;
  updated_at?: string;
  updated_by?: string;
}

/** GET /lorebooks: a lorebook without its entries. Scope: global, character:<lower-case name>, channel:<id>. */
export interface LorebookSummary {
  scope: string;
  name: string;
  entries: number;
  updated_at: string;
  updated_by: string;
}
