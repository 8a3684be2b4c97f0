/** LLM activities run on their own queue so a worker can bound their concurrency. */
export function llmTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-llm`;
}
