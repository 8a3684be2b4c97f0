import type { NewDeadLetter } from '../store/deadLetterQueue';
import type { Store } from '../store/mongo';

export function createDeadLetterActivities(deps: { store: Store }) {
  return {
    /** Writes a dead_letter_queue entry once per workflow and failed step; returns its id. */
    async recordDeadLetter(entry: NewDeadLetter): Promise<string> {
      return deps.store.deadLetterQueue.record(entry);
    },
  };
}
