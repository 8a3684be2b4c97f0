// The workflow bundle's entry point: every workflow type the worker runs.
export { ReplyWorkflow } from './reply';
export { QualityControlWorkflow } from './qualityControl';
export { WikiCrawlWorkflow } from './wikiCrawl';
export { OrganicConversationWorkflow, SilenceCheckWorkflow } from './organic';
export { FollowUpWorkflow } from './followUp';
export { UserRatingWorkflow } from './ratings';
export { RegenerateWorkflow } from './regenerate';
export { PromptOptimizerWorkflow, PromptReviewWorkflow, PromptVersionsWorkflow } from './prompts';
export { MetricsFoldWorkflow } from './metrics';
export { CoordinateWorkflow } from './coordinate';
export { ForgetChannelWorkflow, SessionMemoryWorkflow } from './memory';
export { ForgetUserWorkflow } from './forgetUser';
