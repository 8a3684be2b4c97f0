/** Runs `stop` on the first SIGINT or SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<unknown>): void {
  const handler = () => {
    void stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
