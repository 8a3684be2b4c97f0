/**
 * Every activity the workflows call, as plain in-memory fakes with happy-path answers: no MongoDB, Chroma,
 * Ollama or Discord. A workflow test overrides the few it is about (often with jest.fn); the history
 * recorder (test/replay/recordHistories.ts) runs its scenarios over the same fakes.
 */
import type { Activities, LlmActivities } from '../../src/activities';

export type AllActivities = Activities & LlmActivities;
export type ActivityOverrides = Partial<AllActivities>;

/** The activities of the `<queue>-llm` task queue; the rest run on the workflows' own queue. */
const LLM_ACTIVITY_NAMES = {
  generateReply: true,
  generateLiveReply: true,
  assessReply: true,
  suggestPromptImprovement: true,
  chooseOrganicInitiator: true,
  chooseAnswerer: true,
  generateOrganicStarter: true,
  summariseConversation: true,
} satisfies Record<keyof LlmActivities, true>;

export const CHARACTERS = ['Peter', 'Brian', 'Stewie'];

const DISCORD_EPOCH = BigInt(1_420_070_400_000);
/** A Discord snowflake id created at `ms` (what a delivered message's id would be). */
export function snowflakeAt(ms: number, sequence = 0): string {
  return ((BigInt(ms) - DISCORD_EPOCH) * BigInt(4_194_304) + BigInt(sequence)).toString();
}

/** Happy-path fakes of every activity; `overrides` replaces some of them. */
export function fakeActivities(overrides: ActivityOverrides = {}): AllActivities {
  let turns = 0;
  let messages = 0;
  const fakes: AllActivities = {
    // conversation_history
    persistUserTurn: async (message) => ({ session_id: `discord:${message.channelId}`, turn_id: ++turns }),
    loadHistory: async () => [
      { speaker_type: 'USER', bot_name: null, message_content: 'Hey Peter, how was work?' },
    ],
    choosePromptVersion: async ({ character }) => ({
      prompt_version: 'v1.0',
      prompt_text: `You are ${character} Griffin.`,
      fallback_line: `${character} is speechless.`,
    }),
    loadChannelActivity: async () => ({ lastTurnAt: null, lastOrganicStartAt: null, lastInitiator: null }),
    loadLoreAndScenario: async () => ({ scenario: null, lore: [] }),
    persistBotTurn: async (turn) => ({ session_id: `discord:${turn.channelId}`, turn_id: ++turns }),
    // the coordinator: a quiet channel, nothing answered yet
    loadUnnamedContext: async () => ({
      lastSpeaker: null,
      lastSpeakerAt: null,
      lastHumanAt: null,
      answeredLastHour: 0,
      answeredInARow: 0,
    }),
    recordCoordinatedAnswer: async () => undefined,
    // forget-me: a user with one of everything
    forgetUserTurns: async () => ({
      conversation_history: 2,
      conversation_sessions: 2,
      dead_letter_queue: 0,
    }),
    forgetUserRatings: async () => ({ fine_tuning_data: 1 }),
    forgetUserMemory: async () => ({ user_notes: 1, conversation_summaries: 1 }),
    recordDataDeletion: async () => undefined,
    // session memory and /forget: no summary yet, nothing due
    noteSessionTurn: async () => undefined,
    loadSessionMemory: async () => ({ summary: null, userNotes: [] }),
    loadSummaryPosition: async () => 0,
    loadTurnsToSummarise: async ({ throughTurnId }) => ({
      previousSummary: null,
      turns: [],
      coversFromTurnId: 1,
      throughTurnId,
      sourceUserIds: [],
    }),
    saveSessionSummary: async () => undefined,
    forgetChannelTurns: async ({ channelId }) => ({
      sessionId: `discord:${channelId}`,
      forgottenThroughTurnId: turns,
    }),
    // knowledge base and crawls
    retrieveContext: async () => [
      { text: 'Peter works at the Pawtucket Brewery.', source_url: 'https://wiki/Peter_Griffin', score: 0.7 },
    ],
    planCrawl: async ({ baseUrl, seedTitles }) => ({
      mode: 'seeds',
      followLinks: true,
      urls: seedTitles.map((title) => `${baseUrl}/wiki/${title.replace(/ /g, '_')}`),
      apiUrl: null,
      startPage: null,
      summary: `${seedTitles.length} seed titles -> link discovery`,
    }),
    crawlPage: async ({ url }) => ({ status: 'indexed', canonicalUrl: url, chunks: 2, links: [] }),
    recordCrawlStatus: async () => undefined,
    // Discord
    lastChannelMessageAt: async () => null,
    deliverReply: async () => [snowflakeAt(Date.now(), ++messages)],
    // dead letters, QC, ratings, prompts
    recordDeadLetter: async (entry) => `${entry.workflow_id}:${entry.failed_step}`,
    loadQcPolicy: async () => null,
    recordQcAssessment: async () => undefined,
    findRatedReply: async ({ character }) => ({
      responseId: 'reply-1-peter',
      character,
      promptVersion: 'v1.0',
      text: 'Holy crap, Lois!',
      usedFallback: false,
    }),
    recordUserRating: async ({ reply, userId }) => ({
      ratingId: `${reply.responseId}:${userId}`,
      result: 'recorded',
    }),
    removeUserRating: async ({ responseId, userId }) => ({
      ratingId: `${responseId}:${userId}`,
      removed: true,
    }),
    // regenerate: nothing of the user's to regenerate
    findRegeneration: async ({ messageId }) => ({ status: 'nothing', named: messageId !== null }),
    reviseReply: async ({ posted }) => posted,
    recordRegeneration: async () => undefined,
    refreshPromptMetrics: async () => [],
    foldMetricEvents: async () => 0,
    loadOptimizerMaterial: async ({ character }) => ({
      character,
      currentPrompt: `You are ${character} Griffin.`,
      average: 2.1,
      ratingCount: 12,
      lowest: [],
      highest: [],
    }),
    createChallengerPrompt: async () => ({ version: 'v1.0-opt1' }),
    changePromptDefault: async (request) => ({
      character: request.character,
      action: request.action,
      defaultVersion: request.action === 'promote' ? request.version : 'v1.0',
      replaced: 'v0.9',
    }),
    setPromptTraffic: async () => undefined,
    // the LLM
    generateReply: async (prompt) => ({
      raw: `${prompt.character}: Holy crap!`,
      final: 'Holy crap!',
    }),
    generateLiveReply: async ({ prompt }) => ({
      reply: { raw: `${prompt.character}: Holy crap!`, final: 'Holy crap!' },
      postedIds: [snowflakeAt(Date.now(), ++messages)],
    }),
    assessReply: async () => ({ score: 4, feedback: 'in character', method: 'llm', rules: [] }),
    suggestPromptImprovement: async ({ character }) => `You are ${character} Griffin, and funnier.`,
    chooseOrganicInitiator: async ({ lastInitiator }) => ({
      choice: 'Stewie',
      raw: '{"character":"Stewie"}',
      candidates: CHARACTERS.filter((name) => name !== lastInitiator),
    }),
    chooseAnswerer: async ({ characters }) => ({
      choice: characters[0] ?? null,
      raw: JSON.stringify({ character: characters[0] }),
    }),
    generateOrganicStarter: async ({ character }) => ({
      raw: `${character}: Anyone seen my ray gun?`,
      final: 'Anyone seen my ray gun?',
    }),
    summariseConversation: async ({ turns }) => ({
      summary: `They talked (${turns.length} messages).`,
      notes: [],
    }),
  };
  return { ...fakes, ...overrides };
}

/** Splits activities by task queue: [main queue, LLM queue]. */
export function byTaskQueue(activities: AllActivities): [Activities, LlmActivities] {
  const main: Record<string, unknown> = {};
  const llm: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    (name in LLM_ACTIVITY_NAMES ? llm : main)[name] = fn;
  }
  return [main as Activities, llm as LlmActivities];
}
