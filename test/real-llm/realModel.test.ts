/**
 * The real-LLM tier: the same real services, worker and bots as the end-to-end tests, but the worker talks to
 * the real Ollama of the test stack running the bundled model (SmolLM2-135M), through a transparent tap that
 * records what the model said. The assertions hold for any model output; they never expect exact words.
 */
import { loadRoster } from '../../src/characters/roster';
import { followUpPolicy } from '../../src/config';
import { MAX_STARTER_CHARS } from '../../src/llm/organicPrompt';
import { QC_SYSTEM_INTRO } from '../../src/llm/qcPrompt';
import type { OrganicConversationWorkflow } from '../../src/workflows/organic';
import { replyWorkflowId, type ReplyResult } from '../../src/workflows/contracts/reply';
import type { OrganicConversationResult } from '../../src/workflows/contracts/organic';
import { wikiCrawlWorkflowId } from '../../src/workflows/contracts/wikiCrawl';
import type { WikiCrawlWorkflow } from '../../src/workflows/wikiCrawl';
import { startFixtureWiki } from '../fakes/fixtureWiki';
import { startOllamaTap, type OllamaTap, type TappedChat } from '../fakes/ollamaTap';
import { waitFor } from '../fakes/waitFor';
import { CHARACTERS, startHarness, type Harness } from '../e2e/harness';

// A small model on two CPU cores takes seconds a call; a chain of lines with QC takes a minute or more.
jest.setTimeout(240_000);

let h: Harness;
let tap: OllamaTap;

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: globalSetup should have started the test stack's Ollama`);
  return value;
};

beforeAll(async () => {
  tap = await startOllamaTap(required('FG_TEST_OLLAMA_HOST'));
  h = await startHarness({
    env: {
      OLLAMA_HOST: tap.url,
      OLLAMA_MODEL: required('FG_TEST_OLLAMA_MODEL'),
      OLLAMA_NUM_PREDICT: '64', // short answers keep the tier fast; QC verdicts fit
      OLLAMA_TIMEOUT_MS: '60000',
      LLM_CONCURRENCY: '1',
      QC_ENABLED: 'true',
      QC_MAX_REGENERATIONS: '0', // one candidate a reply: regeneration itself is tested with scripted verdicts
    },
  });
});

afterAll(async () => {
  await h?.stop();
  await tap?.close();
});

const isReviewerCall = (chat: TappedChat) => chat.request.messages?.[0]?.content.startsWith(QC_SYSTEM_INTRO);
const fallbackLines = () => new Set(loadRoster(h.config.characters).map((c) => c.fallbackLine));
const otherNames = (character: string) => CHARACTERS.filter((name) => name !== character);

/** A leaked "Peter:" label at the start, or another speaker's line after a newline: what cleaning removes. */
function expectCleaned(text: string, character: string): void {
  expect(text.trim()).not.toBe('');
  expect(text).not.toMatch(new RegExp(`^[*_\\s]*\\[?${character}(\\s+griffin)?\\]?[*_]*\\s*:`, 'i'));
  expect(text).not.toMatch(
    new RegExp(`\\n\\s*[*_]*(${otherNames(character).join('|')}|user)[*_]*\\s*:`, 'i'),
  );
}

async function replyTo(channelId: string, character: string, content: string): Promise<ReplyResult> {
  const message = await h.discord.userSays({ channelId, content });
  const result: ReplyResult = await waitFor(
    () => h.temporal.workflow.getHandle(replyWorkflowId(message.id, character)).result(),
    { timeoutMs: 90_000, what: `${character}'s reply` },
  );
  return result;
}

describe('with the real model', () => {
  it('answers a Discord message with what the model wrote: cleaned, posted once, both turns stored', async () => {
    const channelId = h.discord.createTextChannel('real-reply');
    await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
    const before = tap.chats.length;
    const result = await replyTo(channelId, 'Peter', 'Peter, what did you do at work today?');

    expect(result.usedFallback).toBe(false);
    expect(fallbackLines().has(result.text)).toBe(false);
    expectCleaned(result.text, 'Peter');

    // Posted once, as Peter, in parts Discord accepts, each a piece of the reply.
    const posted = h.discord.botMessages(channelId);
    expect(posted.map((m) => m.id)).toEqual(result.deliveredMessageIds);
    expect(posted.length).toBeGreaterThanOrEqual(1);
    for (const part of posted) {
      expect(part.author.id).toBe(h.botUsers.Peter.id);
      expect(part.content.length).toBeLessThanOrEqual(2000);
      expect(result.text).toContain(part.content.trim());
    }

    // Both turns stored; llm_response_raw is exactly what the model streamed for one of its generations.
    const turns = await h.store.conversationHistory.collection.find({ channel_id: channelId }).toArray();
    expect(turns.map((t) => t.speaker_type)).toEqual(['USER', 'BOT']);
    const bot = turns[1];
    const generated = tap.chats.slice(before).filter((chat) => !isReviewerCall(chat));
    expect(generated.length).toBeGreaterThanOrEqual(1);
    expect(generated.map((chat) => chat.answer)).toContain(bot?.llm_response_raw);
    // An answer the token limit cut off is posted without its unfinished last sentence.
    const sent = generated.find((chat) => chat.answer === bot?.llm_response_raw);
    if (sent?.doneReason === 'length') expect(result.text).toMatch(/[.!?…]["'”’)\]]*$/);
    expect(bot?.llm_response_final).toBe(result.text);
    expect(bot?.message_content).toBe(result.text);
  });

  it('scores every candidate with the real reviewer: a parsed verdict or a recorded fallback, 1-5 on the turn', async () => {
    const channelId = h.discord.createTextChannel('real-qc');
    await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
    const before = tap.chats.length;
    const results: ReplyResult[] = [];
    for (const [character, question] of [
      ['Peter', 'Peter, what is your favourite beer?'],
      ['Brian', 'Brian, how is the novel going?'],
      ['Stewie', 'Stewie, what are you building?'],
    ] as const) {
      results.push(await replyTo(channelId, character, question));
    }

    const methods: Record<string, number> = {};
    for (const result of results) {
      expect(result.usedFallback).toBe(false);
      expect(result.qc).not.toBeNull();
      expect(Number.isInteger(result.qc?.score)).toBe(true);
      expect(result.qc?.score).toBeGreaterThanOrEqual(1);
      expect(result.qc?.score).toBeLessThanOrEqual(5);
      const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
      expect(turn?.qc_result).toEqual(result.qc);
      const assessments = await h.store.fineTuningData.collection
        .find({ response_id: result.responseId, rating_type: 'QC_AUTOMATED' })
        .toArray();
      expect(assessments.length).toBe(result.qc?.attempts);
      for (const assessment of assessments) {
        expect([1, 2, 3, 4, 5]).toContain(assessment.rating_score);
        const method = assessment.qc_method ?? 'missing';
        expect(['llm', 'rules', 'fallback']).toContain(method);
        expect(assessment.feedback_text).not.toBe('');
        methods[method] = (methods[method] ?? 0) + 1;
      }
    }
    // Reported, not asserted: how often the real reviewer's verdict parsed.
    process.stderr.write(`real-model QC assessments by method: ${JSON.stringify(methods)}\n`);
    // A reviewer stream Ollama cut short (no `done` line) fails its attempt and is retried: only whole
    // answers become assessments.
    const verdicts = tap.chats.slice(before).filter((chat) => isReviewerCall(chat) && chat.done);
    expect(verdicts.length).toBe((methods.llm ?? 0) + (methods.fallback ?? 0));
  });

  it("starts an organic conversation with the model's choice of initiator (or the fallback), then a chain of real lines stops at the cap", async () => {
    const channelId = h.discord.createTextChannel('real-organic');
    await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
    // Everyone chimes in: the chain always runs to the cap, whatever the lines say.
    const chatty = loadRoster(h.config.characters).map((c) => ({ ...c, talkativeness: 1 }));
    const cap = 3;
    const outcome: OrganicConversationResult = await h.temporal.workflow.execute<
      typeof OrganicConversationWorkflow
    >('OrganicConversationWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: `real-organic-${channelId}`,
      args: [
        {
          channelId,
          lastInitiator: null,
          followUps: followUpPolicy({ ...h.config, followUpMaxChain: cap, followUpDelaySeconds: 0 }, chatty),
        },
      ],
    });
    expect(CHARACTERS).toContain(outcome.initiator);
    expect(typeof outcome.initiatorChosenByLlm).toBe('boolean');
    const choices = tap.chats.filter((chat) =>
      chat.request.messages?.[0]?.content.startsWith('You pick which'),
    );
    expect(choices.length).toBeGreaterThanOrEqual(1);
    if (outcome.initiatorChosenByLlm) {
      expect(JSON.parse(choices.at(-1)?.answer ?? '')).toMatchObject({ character: outcome.initiator });
    }
    const starter = outcome.text ?? '';
    expectCleaned(starter, outcome.initiator ?? '');
    expect(starter.length).toBeLessThanOrEqual(MAX_STARTER_CHARS);
    expect(starter).not.toMatch(/@everyone|@here|<@!?\d+>/);

    await waitFor(() => h.discord.botMessages(channelId).length >= cap, {
      timeoutMs: 120_000,
      what: `${cap} bot lines`,
    });
    await new Promise((resolve) => setTimeout(resolve, 5000)); // room for one more line, if the cap failed
    const lines = h.discord.botMessages(channelId);
    expect(lines).toHaveLength(cap);
    expect(lines[0]?.content).toBe(starter);
    for (let i = 1; i < lines.length; i++) {
      expect(lines[i]?.author.id).not.toBe(lines[i - 1]?.author.id); // nobody answers themselves
      expect(lines[i]?.message_reference?.message_id).toBe(lines[i - 1]?.id);
      expect(fallbackLines().has(lines[i]?.content ?? '')).toBe(false);
    }
  });

  it('replies with wiki context from the fixture wiki, and the snippets reach the model', async () => {
    const wiki = await startFixtureWiki();
    try {
      const crawlId = `real-llm-${Date.now()}`;
      const crawl = await h.temporal.workflow.execute<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
        taskQueue: h.config.taskQueue,
        workflowId: wikiCrawlWorkflowId(crawlId),
        args: [
          { crawlId, baseUrl: wiki.url, maxPages: 3, delayMs: 0, seedTitles: ['Ernie_the_Giant_Chicken'] },
        ],
      });
      expect(crawl.state).toBe('SUCCESS');
    } finally {
      await wiki.close();
    }
    const channelId = h.discord.createTextChannel('real-wiki');
    await waitFor(() => h.discord.connectedBots().length === CHARACTERS.length);
    const before = tap.chats.length;
    const result = await replyTo(channelId, 'Peter', 'Peter, what about your fights with the giant chicken?');

    expect(result.usedFallback).toBe(false);
    const turn = await h.store.conversationHistory.findByResponseId(result.responseId);
    const snippets = turn?.rag_context_used ?? [];
    expect(snippets.length).toBeGreaterThan(0);
    expect(snippets.some((s) => s.source_url.includes('Ernie'))).toBe(true);
    const generation = tap.chats.slice(before).find((chat) => !isReviewerCall(chat));
    const system = generation?.request.messages?.[0]?.content ?? '';
    for (const snippet of snippets) expect(system).toContain(snippet.text.trim().slice(0, 80));
  });
});
