import * as workflows from '../../src/workflows';
import { METRICS_FOLD_WORKFLOW_TYPE } from '../../src/workflows/contracts/metrics';
import {
  PROMPT_REVIEW_WORKFLOW_TYPE,
  PROMPT_VERSIONS_WORKFLOW_TYPE,
} from '../../src/workflows/contracts/prompts';
import { USER_RATING_WORKFLOW_TYPE } from '../../src/workflows/contracts/ratings';
import { REPLY_WORKFLOW_TYPE } from '../../src/workflows/contracts/reply';
import { SILENCE_CHECK_WORKFLOW_TYPE } from '../../src/workflows/contracts/organic';
import { WIKI_CRAWL_WORKFLOW_TYPE } from '../../src/workflows/contracts/wikiCrawl';

// Clients, routes and schedules start workflows by these names; a renamed workflow function would
// leave them starting a type no worker runs.
test.each([
  REPLY_WORKFLOW_TYPE,
  WIKI_CRAWL_WORKFLOW_TYPE,
  SILENCE_CHECK_WORKFLOW_TYPE,
  USER_RATING_WORKFLOW_TYPE,
  PROMPT_VERSIONS_WORKFLOW_TYPE,
  PROMPT_REVIEW_WORKFLOW_TYPE,
  METRICS_FOLD_WORKFLOW_TYPE,
])('the workflow type name %s is a workflow the worker registers', (name) => {
  expect(Object.keys(workflows)).toContain(name);
});
