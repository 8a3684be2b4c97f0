import { replayPlan } from '../../src/admin/replay';
import type { DeadLetter } from '../../src/store/deadLetterQueue';

function deadLetter(fields: Partial<DeadLetter>): DeadLetter {
  return {
    _id: 'x',
    failed_event_payload: {},
    error_details: 'boom',
    timestamp: new Date(0),
    retry_attempts: 3,
    workflow_type: 'ReplyWorkflow',
    workflow_id: 'reply-1-peter',
    failed_step: 'generateReply',
    status: 'PENDING',
    ...fields,
  };
}

describe('replaying a dead letter', () => {
  it('starts a failed reply again with its original input, under an id derived from the original', () => {
    const input = { character: 'Peter', message: { messageId: '1', content: 'hi' } };
    expect(replayPlan(deadLetter({ failed_event_payload: input }))).toEqual({
      workflowType: 'ReplyWorkflow',
      workflowId: 'reply-1-peter-replay',
      args: [input],
    });
  });

  it('crawls a failed wiki page again as a one-page crawl of that article', () => {
    const entry = deadLetter({
      _id: 'wiki-crawl-c1:crawlPage https://familyguy.fandom.com/wiki/Peter_Griffin',
      workflow_type: 'WikiCrawlWorkflow',
      workflow_id: 'wiki-crawl-c1',
      failed_step: 'crawlPage https://familyguy.fandom.com/wiki/Peter_Griffin',
      failed_event_payload: {
        crawlId: 'c1',
        url: 'https://familyguy.fandom.com/wiki/Peter_Griffin',
        baseUrl: 'https://familyguy.fandom.com',
      },
    });
    const plan = replayPlan(entry);
    expect(plan.workflowType).toBe('WikiCrawlWorkflow');
    expect(plan.workflowId).toMatch(/^wiki-crawl-c1-replay-[0-9a-f]{8}$/);
    expect(plan.args).toEqual([
      {
        crawlId: plan.workflowId.replace(/^wiki-crawl-/, ''),
        baseUrl: 'https://familyguy.fandom.com',
        maxPages: 1,
        delayMs: 0,
        seedTitles: ['Peter Griffin'],
      },
    ]);
    // The same entry always maps to the same replay: two admins start one crawl.
    expect(replayPlan(entry).workflowId).toBe(plan.workflowId);
  });

  it('refuses a crawl dead letter without a page URL', () => {
    expect(() =>
      replayPlan(deadLetter({ workflow_type: 'WikiCrawlWorkflow', failed_event_payload: {} })),
    ).toThrow('no page URL to crawl again');
  });
});
