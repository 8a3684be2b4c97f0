/**
 * Records the workflow histories that test/replay/replay.test.ts replays against the current code, into
 * test/fixtures/histories/ (one JSON file per workflow run: its workflow id and type, and the history in the
 * format of `temporal workflow show --output json`). Each scenario runs the real workflows, with the fake activities of the workflow tests, on a
 * throwaway Temporal dev server (the cached `temporal` CLI of scripts/install-tools.sh, with the
 * namespace's search attributes registered as in production). Every workflow type, and the branches that
 * give a history a different shape (QC regeneration, dead letters, follow-up chains, organic fallbacks,
 * crawl signals, continue-as-new and failure, prompt signals, reviews and the optimiser), has a history.
 *
 *   npm run record-histories               # all scenarios; files of scenarios no longer listed are removed
 *   npm run record-histories -- wiki-crawl # just these scenarios (by name)
 *   npm run record-histories -- --workflows-from <git revision> wiki-crawl
 *       # the workflows as they were at that revision, into test/fixtures/histories/old/<file>.<commit>.json:
 *       # histories of older code, which the current code must still replay (the recorder never
 *       # removes what is in old/)
 *
 * Re-record only on purpose: a history recorded from the old code is what proves that running workflows
 * survive an upgrade (see the README, "Changing a workflow safely").
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON, type RecordedHistory } from './historyJson';
import type { WorkflowClient } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import * as prettier from 'prettier';
import type { CoordinateWorkflow } from '../../src/workflows/coordinate';
import type { FollowUpWorkflow } from '../../src/workflows/followUp';
import type { ForgetUserWorkflow } from '../../src/workflows/forgetUser';
import { ForgetChannelWorkflow, SessionMemoryWorkflow } from '../../src/workflows/memory';
import type { MetricsFoldWorkflow } from '../../src/workflows/metrics';
import type { SilenceCheckWorkflow } from '../../src/workflows/organic';
import {
  PromptOptimizerWorkflow,
  PromptReviewWorkflow,
  PromptVersionsWorkflow,
} from '../../src/workflows/prompts';
import {
  promoteVersionSignal,
  promptChangesQuery,
  rollBackDefaultSignal,
} from '../../src/workflows/contracts/prompts';
import type { QualityControlWorkflow } from '../../src/workflows/qualityControl';
import type { UserRatingWorkflow } from '../../src/workflows/ratings';
import type { ReplyWorkflow } from '../../src/workflows/reply';
import {
  cancelCrawl,
  crawlProgress,
  CRAWL_SEARCH_ATTRIBUTES,
  pauseCrawl,
  resumeCrawl,
} from '../../src/workflows/contracts/wikiCrawl';
import { coordinateWorkflowId, type CoordinatorPolicy } from '../../src/workflows/contracts/coordinate';
import type { FollowUpPolicy } from '../../src/workflows/contracts/followUp';
import { forgetUserWorkflowId } from '../../src/workflows/contracts/forgetUser';
import {
  forgetChannelWorkflowId,
  sessionMemoryWorkflowId,
  turnsStoredSignal,
} from '../../src/workflows/contracts/memory';
import type { IncomingMessage } from '../../src/workflows/contracts/reply';
import type { UserRatingInput } from '../../src/workflows/contracts/ratings';
import {
  commandRegenerateWorkflowId,
  regenerateWorkflowId,
  type RegenerateInput,
} from '../../src/workflows/contracts/regenerate';
import type { RegenerateWorkflow } from '../../src/workflows/regenerate';
import type { WikiCrawlWorkflow } from '../../src/workflows/wikiCrawl';
import { CHARACTERS, snowflakeAt, type ActivityOverrides } from '../workflows/fakeActivities';
import { installQuietRuntime, startTestbed, type Testbed } from '../workflows/env';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const HISTORIES_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'histories');

/** A workflow run to save, as test/fixtures/histories/<file>.json. */
interface Recorded {
  file: string;
  workflowId: string;
  /** Default: the latest run. */
  runId?: string;
}

interface Scenario {
  name: string;
  /** `older`: recording an older revision's workflows (--workflows-from), whose callers sent older inputs. */
  run(bed: Testbed, client: WorkflowClient, older: boolean): Promise<Recorded[]>;
}

const fail = (message: string) => async (): Promise<never> => {
  // Not retryable: the history is the same as after the last of several attempts, without the wait.
  throw ApplicationFailure.nonRetryable(message, 'ScriptedFailure');
};

let sequence = 0;
/** A Discord message from a person, with an id made from the current time. */
function message(content: string, channelId = '900'): IncomingMessage {
  const now = Date.now();
  return {
    messageId: snowflakeAt(now, ++sequence),
    channelId,
    guildId: '1',
    authorId: 'user-1',
    authorName: 'Lois',
    content,
    createdAt: new Date(now).toISOString(),
  };
}

const replyId = (m: IncomingMessage, character: string) => `reply-${m.messageId}-${character.toLowerCase()}`;

function followUps(extra: Partial<FollowUpPolicy> = {}): FollowUpPolicy {
  return {
    maxChain: 3,
    delayMs: 100,
    idleMs: 10 * 60_000,
    characters: CHARACTERS.map((name) => ({ name, aliases: [name.toLowerCase()], talkativeness: 0 })),
    ...extra,
  };
}

/** deliverReply that keeps the ids it "posted", in order. */
function recordingDelivery(): { delivered: string[]; deliverReply: ActivityOverrides['deliverReply'] } {
  const delivered: string[] = [];
  return {
    delivered,
    deliverReply: async () => {
      delivered.push(snowflakeAt(Date.now(), ++sequence));
      return delivered.slice(-1);
    },
  };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const QC_POLICY = { minScore: 3, maxRegenerations: 2, maxReplyChars: 800 };

const SCENARIOS: Scenario[] = [
  {
    name: 'reply',
    run: (bed, client) =>
      bed.run({}, async (taskQueue) => {
        const m = message('Peter, how was work?');
        await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
          taskQueue,
          workflowId: replyId(m, 'Peter'),
          args: [{ character: 'Peter', message: m }],
        });
        return [{ file: 'reply', workflowId: replyId(m, 'Peter') }];
      }),
  },
  {
    name: 'reply-live',
    run: async (bed, client) => {
      const live = { loadLoreAndScenario: async () => ({ scenario: null, lore: [], liveReplies: true }) };
      const written = await bed.run(live, async (taskQueue) => {
        const m = message('Peter, tell me everything');
        await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
          taskQueue,
          workflowId: replyId(m, 'Peter'),
          args: [{ character: 'Peter', message: m }],
        });
        return [{ file: 'reply-live', workflowId: replyId(m, 'Peter') }];
      });
      // The model fails part-way every attempt: the fallback line replaces what was shown.
      const failed = await bed.run(
        { ...live, generateLiveReply: fail('llama runner process has terminated') },
        async (taskQueue) => {
          const m = message('Peter?');
          await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
            taskQueue,
            workflowId: replyId(m, 'Peter'),
            args: [{ character: 'Peter', message: m }],
          });
          return [{ file: 'reply-live-llm-down-fallback', workflowId: replyId(m, 'Peter') }];
        },
      );
      return [...written, ...failed];
    },
  },
  {
    name: 'reply-qc-regenerated',
    run: (bed, client) => {
      let reviews = 0;
      return bed.run(
        {
          loadQcPolicy: async () => QC_POLICY,
          // The first candidate is rejected, the second accepted.
          assessReply: async () => ({
            score: ++reviews === 1 ? 2 : 4,
            feedback: reviews === 1 ? 'out of character' : 'in character',
            method: 'llm',
            rules: [],
          }),
          // Retrieval down: the reply goes on without wiki context.
          retrieveContext: fail('chroma is down'),
        },
        async (taskQueue) => {
          const m = message('Peter, tell a joke');
          await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
            taskQueue,
            workflowId: replyId(m, 'Peter'),
            args: [{ character: 'Peter', message: m }],
          });
          return [
            { file: 'reply-qc-regenerated', workflowId: replyId(m, 'Peter') },
            { file: 'quality-control-regenerated', workflowId: `${replyId(m, 'Peter')}-qc` },
          ];
        },
      );
    },
  },
  {
    name: 'quality-control-best-of-all',
    run: (bed, client) => {
      let candidates = 0;
      let reviews = 0;
      return bed.run(
        {
          generateReply: async () => {
            candidates++;
            // The last regeneration fails: the best candidate so far is sent.
            if (candidates > 2) throw ApplicationFailure.nonRetryable('model unloaded', 'ScriptedFailure');
            return { raw: `Peter: candidate ${candidates}`, final: `candidate ${candidates}` };
          },
          assessReply: async () => ({ score: ++reviews, feedback: 'weak', method: 'llm', rules: [] }),
        },
        async (taskQueue) => {
          const workflowId = 'reply-recorded-best-of-all-peter-qc';
          await client.execute<typeof QualityControlWorkflow>('QualityControlWorkflow', {
            taskQueue,
            workflowId,
            args: [
              {
                responseId: 'reply-recorded-best-of-all-peter',
                promptVersion: 'v1.0',
                policy: { ...QC_POLICY, minScore: 5 },
                prompt: {
                  character: 'Peter',
                  systemPrompt: 'You are Peter Griffin.',
                  history: [],
                  context: [],
                  userMessage: 'Peter?',
                },
              },
            ],
          });
          return [{ file: 'quality-control-best-of-all', workflowId }];
        },
      );
    },
  },
  {
    name: 'reply-llm-down',
    run: (bed, client) =>
      bed.run(
        { loadQcPolicy: async () => QC_POLICY, generateReply: fail('llama runner process has terminated') },
        async (taskQueue) => {
          const m = message('Peter?');
          await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
            taskQueue,
            workflowId: replyId(m, 'Peter'),
            args: [{ character: 'Peter', message: m }],
          });
          return [
            { file: 'reply-llm-down-dead-letter-fallback', workflowId: replyId(m, 'Peter') },
            { file: 'quality-control-llm-down', workflowId: `${replyId(m, 'Peter')}-qc` },
          ];
        },
      ),
  },
  {
    name: 'reply-delivery-refused',
    run: (bed, client) =>
      bed.run({ deliverReply: fail('Missing Access') }, async (taskQueue) => {
        const m = message('Stewie?');
        await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
          taskQueue,
          workflowId: replyId(m, 'Stewie'),
          args: [{ character: 'Stewie', message: m, followUps: followUps() }],
        });
        return [{ file: 'reply-delivery-refused-dead-letter', workflowId: replyId(m, 'Stewie') }];
      }),
  },
  {
    name: 'follow-up-chain',
    run: (bed, client) => {
      const { delivered, deliverReply } = recordingDelivery();
      const lines: Record<string, string> = { Peter: 'Brian, get me a beer.', Brian: 'Get it yourself.' };
      return bed.run(
        {
          deliverReply,
          generateReply: async ({ character }) => ({
            raw: `${character}: ${lines[character]}`,
            final: lines[character] ?? '',
          }),
        },
        async (taskQueue) => {
          const m = message('Peter, say something');
          await client.execute<typeof ReplyWorkflow>('ReplyWorkflow', {
            taskQueue,
            workflowId: replyId(m, 'Peter'),
            args: [{ character: 'Peter', message: m, followUps: followUps() }],
          });
          const answered = await client
            .getHandle<typeof FollowUpWorkflow>(`follow-up-${delivered[0]}`)
            .result();
          if (!answered.answeredBy) throw new Error(`nobody answered Peter: ${JSON.stringify(answered)}`);
          await client.getHandle<typeof ReplyWorkflow>(answered.workflowId).result();
          await client.getHandle<typeof FollowUpWorkflow>(`follow-up-${delivered[1]}`).result();
          return [
            { file: 'reply-starts-follow-up', workflowId: replyId(m, 'Peter') },
            { file: 'follow-up-answered', workflowId: `follow-up-${delivered[0]}` },
            { file: 'reply-to-a-character', workflowId: answered.workflowId },
            { file: 'follow-up-nobody', workflowId: `follow-up-${delivered[1]}` },
          ];
        },
      );
    },
  },
  {
    name: 'follow-up-ends',
    run: (bed, client) =>
      // Someone posted during the delay; then a chain at its cap.
      bed.run(
        { lastChannelMessageAt: async () => new Date(Date.now() + 60_000).toISOString() },
        async (taskQueue) => {
          const recorded: Recorded[] = [];
          for (const [file, length] of [
            ['follow-up-interrupted', 1],
            ['follow-up-cap', 3],
          ] as const) {
            const lastMessageId = snowflakeAt(Date.now(), ++sequence);
            await client.execute<typeof FollowUpWorkflow>('FollowUpWorkflow', {
              taskQueue,
              workflowId: `follow-up-${lastMessageId}`,
              args: [
                {
                  channelId: '900',
                  policy: followUps(),
                  speaker: 'Peter',
                  text: 'Brian, you there?',
                  lastMessageId,
                  turn: { session_id: 'discord:900', turn_id: 1 },
                  length,
                  anchorAt: new Date().toISOString(),
                },
              ],
            });
            recorded.push({ file, workflowId: `follow-up-${lastMessageId}` });
          }
          return recorded;
        },
      ),
  },
  {
    name: 'organic',
    run: (bed, client) => {
      const { delivered, deliverReply } = recordingDelivery();
      return bed.run(
        {
          deliverReply,
          // Not a roster name: the workflow picks someone with its seeded Math.random.
          chooseOrganicInitiator: async () => ({
            choice: null,
            raw: 'the dog',
            candidates: ['Brian', 'Stewie'],
          }),
        },
        async (taskQueue) => {
          const checkId = `silence-check-recorded-${Date.now()}`;
          const outcome = await client.execute<typeof SilenceCheckWorkflow>('SilenceCheckWorkflow', {
            taskQueue,
            workflowId: checkId,
            args: [
              {
                channelId: '901',
                silenceSeconds: 60,
                cooldownSeconds: 60,
                quietHoursUtc: null,
                followUps: followUps(),
              },
            ],
          });
          if (!outcome.started) throw new Error(`no organic start: ${outcome.reason}`);
          await client.getHandle(`follow-up-${delivered[0]}`).result();
          return [
            { file: 'silence-check-started', workflowId: checkId },
            { file: 'organic-conversation', workflowId: outcome.organicWorkflowId },
            { file: 'follow-up-after-organic-start', workflowId: `follow-up-${delivered[0]}` },
          ];
        },
      );
    },
  },
  {
    name: 'organic-quiet',
    run: (bed, client) =>
      bed.run(
        {
          loadChannelActivity: async () => ({
            lastTurnAt: new Date().toISOString(),
            lastOrganicStartAt: null,
            lastInitiator: null,
          }),
        },
        async (taskQueue) => {
          const checkId = `silence-check-recorded-recent-${Date.now()}`;
          await client.execute<typeof SilenceCheckWorkflow>('SilenceCheckWorkflow', {
            taskQueue,
            workflowId: checkId,
            args: [{ channelId: '902', silenceSeconds: 60, cooldownSeconds: 60, quietHoursUtc: null }],
          });
          return [{ file: 'silence-check-recent-activity', workflowId: checkId }];
        },
      ),
  },
  {
    name: 'organic-llm-down',
    run: (bed, client) =>
      bed.run({ chooseOrganicInitiator: fail('model not found') }, async (taskQueue) => {
        const checkId = `silence-check-recorded-llm-down-${Date.now()}`;
        const outcome = await client.execute<typeof SilenceCheckWorkflow>('SilenceCheckWorkflow', {
          taskQueue,
          workflowId: checkId,
          args: [{ channelId: '903', silenceSeconds: 60, cooldownSeconds: 60, quietHoursUtc: null }],
        });
        if (!outcome.started) throw new Error(`no organic start: ${outcome.reason}`);
        return [{ file: 'organic-conversation-llm-down-dead-letter', workflowId: outcome.organicWorkflowId }];
      }),
  },
  {
    name: 'wiki-crawl',
    run: (bed, client, older) => {
      const base = 'https://wiki.example';
      const url = (title: string) => `${base}/wiki/${title}`;
      return bed.run(
        {
          crawlPage: async ({ url: page }) => {
            await new Promise((resolve) => setTimeout(resolve, 30));
            const title = page.slice(page.lastIndexOf('/') + 1);
            if (title === 'Peter_Griffin')
              return {
                status: 'indexed',
                canonicalUrl: page,
                chunks: 3,
                links: ['Lois', 'Meg', 'Chris', 'Brian', 'Stewie', 'Quahog'].map(url),
              };
            // An HTTP redirect; crawlPage of older revisions followed it and indexed the target.
            if (title === 'Meg' && older)
              return { status: 'indexed', canonicalUrl: url('Meg_Griffin'), chunks: 2, links: [] };
            if (title === 'Meg')
              return { status: 'redirect', canonicalUrl: url('Meg_Griffin'), chunks: 0, links: [] };
            if (title === 'Chris') return { status: 'missing', canonicalUrl: page, chunks: 0, links: [] };
            if (title === 'Quahog') throw ApplicationFailure.nonRetryable('HTTP 500', 'ScriptedFailure');
            return { status: 'indexed', canonicalUrl: page, chunks: 2, links: [] };
          },
        },
        async (taskQueue) => {
          const crawlId = `recorded-${Date.now()}`;
          const handle = await client.start<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
            taskQueue,
            workflowId: `wiki-crawl-${crawlId}`,
            args: [
              {
                crawlId,
                baseUrl: base,
                maxPages: 10,
                delayMs: 150,
                seedTitles: ['Peter Griffin'],
                // The admin API sets it where the namespace has the attributes; before they existed, nobody did.
                searchAttributes: !older,
                // Continue as new after a few pages (production: 5,000 events). Not for revisions before
                // 7f49d2c: they reported FAILED on every continue-as-new, and the fix has no patch (runs
                // that continued as new are closed; only a query of such a closed run would replay it).
                maxHistoryEvents: older ? undefined : 45,
              },
            ],
          });
          // Paused and resumed by an admin while it runs.
          await waitUntil(
            'the crawl indexed a page',
            async () => (await handle.query(crawlProgress)).pagesDone >= 1,
          );
          await handle.signal(pauseCrawl);
          await waitUntil(
            'the crawl is paused',
            async () => (await handle.query(crawlProgress)).state === 'PAUSED',
          );
          await new Promise((resolve) => setTimeout(resolve, 300));
          await handle.signal(resumeCrawl);
          await handle.result();
          return runsOf(client, handle.workflowId, handle.firstExecutionRunId, 'wiki-crawl');
        },
      );
    },
  },
  {
    name: 'wiki-crawl-ends-early',
    run: (bed, client) =>
      bed.run(
        {
          planCrawl: async ({ baseUrl }) => ({
            mode: 'listing',
            followLinks: false,
            urls: ['Gone', 'Also_gone', 'Still_there', 'Too'].map((t) => `${baseUrl}/wiki/${t}`),
            apiUrl: `${baseUrl}/api.php`,
            startPage: null,
            summary: 'api.php listed 4 articles -> listing mode',
          }),
          crawlPage: async ({ url }) => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return url.includes('gone')
              ? { status: 'missing', canonicalUrl: url, chunks: 0, links: [] }
              : { status: 'indexed', canonicalUrl: url, chunks: 1, links: [] };
          },
        },
        async (taskQueue) => {
          const recorded: Recorded[] = [];
          // Every page missing: fails CrawlIndexedNothing.
          const nothing = await client.start<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
            taskQueue,
            workflowId: `wiki-crawl-recorded-nothing-${Date.now()}`,
            args: [
              {
                crawlId: 'nothing',
                baseUrl: 'https://gone.example',
                maxPages: 2,
                delayMs: 0,
                seedTitles: [],
              },
            ],
          });
          await nothing.result().catch(() => undefined);
          recorded.push({ file: 'wiki-crawl-indexed-nothing', workflowId: nothing.workflowId });
          // Cancelled by an admin's signal after the first pages.
          const cancelled = await client.start<typeof WikiCrawlWorkflow>('WikiCrawlWorkflow', {
            taskQueue,
            workflowId: `wiki-crawl-recorded-cancelled-${Date.now()}`,
            args: [
              {
                crawlId: 'cancelled',
                baseUrl: 'https://wiki.example',
                maxPages: 4,
                delayMs: 200,
                seedTitles: [],
              },
            ],
          });
          await waitUntil(
            'a page is done',
            async () => (await cancelled.query(crawlProgress)).pagesDone >= 1,
          );
          await cancelled.signal(cancelCrawl);
          await cancelled.result();
          recorded.push({ file: 'wiki-crawl-cancelled', workflowId: cancelled.workflowId });
          return recorded;
        },
      ),
  },
  {
    name: 'ratings',
    run: (bed, client) => {
      const recorded: Recorded[] = [];
      const rate = async (taskQueue: string, file: string, input: Partial<UserRatingInput>) => {
        const workflowId = `rating-recorded-${file}-${Date.now()}`;
        await client.execute<typeof UserRatingWorkflow>('UserRatingWorkflow', {
          taskQueue,
          workflowId,
          args: [
            {
              action: 'set',
              score: 5,
              source: 'reaction:👍',
              userId: 'user-1',
              channelId: '900',
              messageId: '1234',
              character: 'Peter',
              feedbackText: '',
              eventAt: Date.now(),
              ...input,
            },
          ],
        });
        recorded.push({ file, workflowId });
      };
      return bed
        .run({}, async (taskQueue) => {
          await rate(taskQueue, 'rating-recorded', { source: 'command', feedbackText: 'ha' });
          await rate(taskQueue, 'rating-removed', { action: 'remove' });
          // From the dashboard's playground: the reply by its response id, no Discord message.
          await rate(taskQueue, 'rating-of-a-playground-reply', {
            source: 'playground',
            userId: 'web:abc',
            channelId: 'web:abc',
            messageId: null,
            responseId: 'reply-web-1-peter',
          });
        })
        .then(() =>
          bed.run({ findRatedReply: async () => null }, (taskQueue) =>
            rate(taskQueue, 'rating-not-a-reply', {}),
          ),
        )
        .then(() =>
          bed.run(
            {
              findRatedReply: async ({ character }) => ({
                responseId: 'reply-1-peter',
                character,
                promptVersion: 'v1.0',
                text: 'Peter is speechless.',
                usedFallback: true,
              }),
            },
            (taskQueue) => rate(taskQueue, 'rating-of-a-fallback-line', {}),
          ),
        )
        .then(() => recorded);
    },
  },
  {
    name: 'regenerate',
    run: (bed, client) => {
      const recorded: Recorded[] = [];
      const input = (messageId: string | null, source: RegenerateInput['source']): RegenerateInput => ({
        userId: 'user-1',
        userName: 'Lois',
        channelId: '900',
        messageId,
        characters: ['Peter'],
        source,
      });
      /** The reply, first posted as `firstPart`: two candidates already (one regeneration of two). */
      const found = (firstPart: string) => async () => ({
        status: 'found' as const,
        target: {
          responseId: `reply-${firstPart}-peter`,
          character: 'Peter',
          channelId: '900',
          postedMessageIds: [firstPart],
          replyToMessageId: '1000',
          answeredTurn: { session_id: 'discord:900', turn_id: 1 },
          userMessage: 'Peter, tell a joke',
          userName: 'Lois',
          promptVersion: 'v1.0',
          promptText: 'You are Peter Griffin.',
          scenario: null,
          ragContextUsed: [],
          candidateTexts: ['Holy crap!', 'Freakin sweet!'],
          limit: 3,
        },
      });
      const regenerate = async (
        taskQueue: string,
        file: string,
        workflowId: string,
        args: RegenerateInput,
      ) => {
        await client.execute<typeof RegenerateWorkflow>('RegenerateWorkflow', {
          taskQueue,
          workflowId,
          args: [args],
        });
        recorded.push({ file, workflowId });
      };
      return bed
        .run({ findRegeneration: found('1234') }, (taskQueue) =>
          regenerate(taskQueue, 'regenerate', regenerateWorkflowId('1234'), input('1234', 'reaction')),
        )
        .then(() =>
          // /regenerate: the reply's own run (by its first part) is a child.
          bed.run({ findRegeneration: found('5678') }, async (taskQueue) => {
            const workflowId = commandRegenerateWorkflowId('4321');
            await regenerate(taskQueue, 'regenerate-by-command', workflowId, input(null, 'command'));
            recorded.push({ file: 'regenerate-by-command-child', workflowId: regenerateWorkflowId('5678') });
          }),
        )
        .then(() =>
          bed.run({ findRegeneration: found('2468'), loadQcPolicy: async () => QC_POLICY }, (taskQueue) =>
            regenerate(
              taskQueue,
              'regenerate-through-qc',
              regenerateWorkflowId('2468'),
              input('2468', 'reaction'),
            ),
          ),
        )
        .then(() =>
          bed.run({ findRegeneration: found('1357'), reviseReply: fail('Unknown Message') }, (taskQueue) =>
            regenerate(
              taskQueue,
              'regenerate-edit-refused-dead-letter',
              regenerateWorkflowId('1357'),
              input('1357', 'reaction'),
            ),
          ),
        )
        .then(() =>
          bed.run(
            { findRegeneration: async () => ({ status: 'not-yours', character: 'Peter' }) },
            (taskQueue) =>
              regenerate(
                taskQueue,
                'regenerate-not-yours',
                regenerateWorkflowId('9999'),
                input('9999', 'reaction'),
              ),
          ),
        )
        .then(() => recorded);
    },
  },
  {
    name: 'metrics-fold',
    run: (bed, client) => {
      const workflowId = `metrics-fold-recorded-${Date.now()}`;
      return bed
        .run({ foldMetricEvents: async () => 12 }, (taskQueue) =>
          client.execute<typeof MetricsFoldWorkflow>('MetricsFoldWorkflow', { taskQueue, workflowId }),
        )
        .then(() => [{ file: 'metrics-fold', workflowId }]);
    },
  },
  {
    name: 'prompt-versions',
    run: (bed, client) => {
      let changes = 0;
      return bed.run(
        {
          changePromptDefault: async (request) => {
            if (++changes === 2)
              throw ApplicationFailure.nonRetryable(
                `${request.character}'s default has no earlier default to roll back to`,
                'NothingToRollBack',
              );
            return {
              character: request.character,
              action: request.action,
              defaultVersion: 'v1.1',
              replaced: 'v1.0',
            };
          },
        },
        async (taskQueue) => {
          const handle = await client.start(PromptVersionsWorkflow, {
            taskQueue,
            workflowId: `prompt-versions-recorded-${Date.now()}`,
            args: [{}],
          });
          await handle.signal(promoteVersionSignal, { requestId: 'r1', character: 'Peter', version: 'v1.1' });
          await handle.signal(rollBackDefaultSignal, {
            requestId: 'r2',
            character: 'Brian',
            by: 'admin',
            reason: 'test',
          });
          await waitUntil(
            'both changes are answered',
            async () => (await handle.query(promptChangesQuery)).length === 2,
          );
          // It runs until stopped: the history so far, then the run ends.
          await handle.terminate('recorded');
          return [{ file: 'prompt-versions-signals', workflowId: handle.workflowId }];
        },
      );
    },
  },
  {
    name: 'prompt-review',
    run: (bed, client) => {
      const version = (
        character: string,
        prompt_version: string,
        is_default: boolean,
        rating_count: number,
        rating_avg: number,
      ) => ({
        character_name: character,
        prompt_version,
        is_default,
        ab_test_percentage: is_default ? 0 : 20,
        rating_count,
        rating_avg,
      });
      return bed.run(
        {
          // Peter's challenger wins, Brian's loses, Stewie's default rates poorly and has no challenger.
          refreshPromptMetrics: async () => [
            version('Peter', 'v1.0', true, 30, 3.0),
            version('Peter', 'v1.1', false, 25, 4.0),
            version('Brian', 'v1.0', true, 30, 3.5),
            version('Brian', 'v1.1', false, 25, 3.0),
            version('Stewie', 'v1.0', true, 20, 2.0),
          ],
        },
        async (taskQueue) => {
          const workflowId = `prompt-review-recorded-${Date.now()}`;
          await client.execute(PromptReviewWorkflow, {
            taskQueue,
            workflowId,
            args: [
              {
                optimizeMinRatings: 10,
                optimizeBelow: 3,
                challengerPercentage: 20,
                promoteMinRatings: 20,
                promoteMargin: 0.25,
              },
            ],
          });
          return [
            { file: 'prompt-review-promote-retire-optimize', workflowId },
            { file: 'prompt-optimizer', workflowId: `${workflowId}-optimize-stewie` },
          ];
        },
      );
    },
  },
  {
    name: 'session-memory',
    run: (bed, client) => {
      const turns = [
        { turn_id: 1, speaker_type: 'USER' as const, bot_name: null, user_id: 'user-1', user_name: 'Lois' },
        { turn_id: 2, speaker_type: 'BOT' as const, bot_name: 'Peter', user_id: null, user_name: null },
      ].map((turn) => ({ ...turn, message_content: `turn ${turn.turn_id}` }));
      const policy = { every: 2, window: 2, userNotes: true };
      /** A session told of turn 4: turns 1-2 have left the window, a summary is due. */
      const remember = async (taskQueue: string, sessionId: string) => {
        const handle = await client.signalWithStart(SessionMemoryWorkflow, {
          taskQueue,
          workflowId: sessionMemoryWorkflowId(sessionId),
          args: [{ sessionId, channelId: '904', newestTurnId: 4, policy }],
          signal: turnsStoredSignal,
          signalArgs: [{ newestTurnId: 4, policy }],
        });
        // Its first run writes the summary (or fails to) and continues as new; the next waits for turns.
        await waitUntil('the first run continued as new', async () => {
          const history = await client.getHandle(handle.workflowId, handle.signaledRunId).fetchHistory();
          return history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes != null;
        });
        await handle.terminate('recorded');
        return { workflowId: handle.workflowId, runId: handle.signaledRunId };
      };
      return bed
        .run(
          {
            loadTurnsToSummarise: async ({ throughTurnId }) => ({
              previousSummary: null,
              turns,
              coversFromTurnId: 1,
              throughTurnId,
              sourceUserIds: [],
            }),
            summariseConversation: async () => ({
              summary: 'Lois and Peter talked.',
              notes: [{ userId: 'user-1', turnId: 1, note: 'is Lois' }],
            }),
          },
          async (taskQueue) => [
            { file: 'session-memory-summarised', ...(await remember(taskQueue, 'discord:904')) },
          ],
        )
        .then(async (recorded) => [
          ...recorded,
          ...(await bed.run({ summariseConversation: fail('model not found') }, async (taskQueue) => [
            { file: 'session-memory-llm-down', ...(await remember(taskQueue, 'discord:905')) },
          ])),
        ]);
    },
  },
  {
    name: 'forget-channel',
    run: (bed, client) =>
      bed.run({}, async (taskQueue) => {
        const workflowId = forgetChannelWorkflowId(`recorded-${Date.now()}`);
        await client.execute(ForgetChannelWorkflow, {
          taskQueue,
          workflowId,
          args: [{ channelId: '906', requestedBy: 'discord:user-1' }],
        });
        return [{ file: 'forget-channel', workflowId }];
      }),
  },
  {
    name: 'coordinate',
    run: async (bed, client) => {
      const now = Date.now();
      const policy: CoordinatorPolicy = {
        characters: CHARACTERS.map((name) => ({ name, talkativeness: 0.5 })),
        activeWindowMs: 10 * 60_000,
        joinChance: 0,
        joinHalfLifeMs: 30 * 60_000,
        maxPerHour: 12,
        maxInARow: 3,
      };
      const inConversation = {
        lastSpeaker: 'Peter',
        lastSpeakerAt: new Date(now - 60_000).toISOString(),
        lastHumanAt: new Date(now - 120_000).toISOString(),
        answeredLastHour: 0,
        answeredInARow: 0,
      };
      /** Coordinates an unnamed message and waits for the reply it starts (replies have histories of their own). */
      const coordinate = async (taskQueue: string, file: string) => {
        const m = message('anyone want pizza?', '907');
        const workflowId = coordinateWorkflowId(m.messageId);
        const outcome = await client.execute<typeof CoordinateWorkflow>('CoordinateWorkflow', {
          taskQueue,
          workflowId,
          args: [{ message: m, policy }],
        });
        if (outcome.answeredBy) await client.getHandle(outcome.replyWorkflowId).result();
        return [{ file, workflowId }];
      };
      const unnamed = async () => inConversation;
      return [
        ...(await bed.run({ loadUnnamedContext: unnamed }, (taskQueue) =>
          coordinate(taskQueue, 'coordinate-answered'),
        )),
        ...(await bed.run(
          { loadUnnamedContext: unnamed, chooseAnswerer: fail('model not found') },
          (taskQueue) => coordinate(taskQueue, 'coordinate-llm-down-fallback'),
        )),
        ...(await bed.run({}, (taskQueue) => coordinate(taskQueue, 'coordinate-not-in-conversation'))),
      ];
    },
  },
  {
    name: 'forget-user',
    run: (bed, client) =>
      bed.run({}, async (taskQueue) => {
        const workflowId = forgetUserWorkflowId('user-1', `recorded-${Date.now()}`);
        await client.execute<typeof ForgetUserWorkflow>('ForgetUserWorkflow', {
          taskQueue,
          workflowId,
          args: [{ userId: 'user-1', requestedBy: 'discord:user-1', requestedAt: new Date().toISOString() }],
        });
        return [{ file: 'forget-user', workflowId }];
      }),
  },
  {
    name: 'prompt-optimizer-llm-down',
    run: (bed, client) =>
      bed.run({ suggestPromptImprovement: fail('model not found') }, async (taskQueue) => {
        const workflowId = `prompt-optimizer-recorded-${Date.now()}`;
        await client.execute(PromptOptimizerWorkflow, {
          taskQueue,
          workflowId,
          args: [{ character: 'Stewie', baseVersion: 'v1.0', challengerPercentage: 20 }],
        });
        return [{ file: 'prompt-optimizer-llm-down-dead-letter', workflowId }];
      }),
  },
];

/** Every run of a workflow that continued as new: <prefix>.run1, .run2, ... */
async function runsOf(client: WorkflowClient, workflowId: string, firstRunId: string, prefix: string) {
  const recorded: Recorded[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    recorded.push({ file: `${prefix}.run${recorded.length + 1}`, workflowId, runId });
    const history = await client.getHandle(workflowId, runId).fetchHistory();
    const last = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return recorded;
}

/** The cached Temporal CLI: $TEMPORAL_CLI, else what scripts/install-tools.sh prints (Ollama left out). */
function temporalCli(): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const output = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-tools.sh')], {
    encoding: 'utf8',
    env: { ...process.env, OLLAMA_HOST: 'not-needed' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const found = /^TEMPORAL_CLI=(.+)$/m.exec(output)?.[1];
  if (!found) throw new Error(`scripts/install-tools.sh printed no TEMPORAL_CLI=: ${output}`);
  return found;
}

/** src/ as it was at `revision`, extracted under .data/ (webpack finds node_modules from there). */
function sourceAt(revision: string): { commit: string; workflowsPath: string } {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${revision}^{commit}`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim();
  const dir = path.join(REPO_ROOT, '.data', 'record-histories', commit);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', commit, 'src'], {
    cwd: REPO_ROOT,
    maxBuffer: 1 << 28,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return { commit, workflowsPath: path.join(dir, 'src', 'workflows') };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromIndex = args.indexOf('--workflows-from');
  const from = fromIndex >= 0 ? args.splice(fromIndex, 2)[1] : undefined;
  if (fromIndex >= 0 && !from) throw new Error('--workflows-from needs a git revision');
  const older = from ? sourceAt(from) : undefined;
  const wanted = args;
  const unknown = wanted.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenarios: ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  const scenarios = wanted.length > 0 ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;

  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli() },
      searchAttributes: [CRAWL_SEARCH_ATTRIBUTES.status, CRAWL_SEARCH_ATTRIBUTES.pagesDone],
    },
  });
  const bundle = older
    ? await bundleWorkflowCode({ workflowsPath: older.workflowsPath, logger: new DefaultLogger('ERROR') })
    : undefined;
  const bed = await startTestbed(env, bundle);
  const outDir = older ? path.join(HISTORIES_DIR, 'old') : HISTORIES_DIR;
  const suffix = older ? `.${older.commit.slice(0, 8)}` : '';
  try {
    const client = env.client.workflow;
    const written = new Set<string>();
    for (const scenario of scenarios) {
      const started = Date.now();
      const runs = await scenario.run(bed, client, older !== undefined);
      for (const run of runs) {
        const history = await client.getHandle(run.workflowId, run.runId).fetchHistory();
        const recorded: RecordedHistory = {
          workflowId: run.workflowId,
          workflowType:
            history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?',
          history: JSON.parse(historyToJSON(history)),
        };
        const file = path.join(outDir, `${run.file}${suffix}.json`);
        // Formatted as `prettier --check .` wants it (the project's options).
        const options = { ...(await prettier.resolveConfig(file)), filepath: file };
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(file, await prettier.format(JSON.stringify(recorded), options));
        written.add(path.basename(file));
      }
      process.stderr.write(
        `${scenario.name}: ${runs.map((r) => r.file).join(', ')} (${Date.now() - started} ms)\n`,
      );
    }
    if (wanted.length === 0 && !older) {
      for (const file of fs.readdirSync(HISTORIES_DIR)) {
        if (file.endsWith('.json') && !written.has(file)) {
          fs.rmSync(path.join(HISTORIES_DIR, file));
          process.stderr.write(`removed ${file} (no scenario records it any more)\n`);
        }
      }
    }
  } finally {
    await bed.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
