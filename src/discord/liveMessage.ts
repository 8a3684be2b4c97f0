import type { DiscordPoster } from './rest';
import { reviseParts } from './reviseParts';
import { splitMessage } from './split';

/** Where a live reply is shown and how its posts are keyed (the keys make a retry's posts the same messages). */
export interface LiveTarget {
  character: string;
  channelId: string;
  /** The message answered, by the first part. */
  replyTo: string | null;
  /** Part i is posted with the idempotency key `${idempotencyPrefix}:${i}`. */
  idempotencyPrefix: string;
}

/**
 * A reply shown in Discord while the model writes it: the first text is posted at once, later text
 * edits it in at most once per `editIntervalMs` (text that comes sooner, or while a revision is on its
 * way, is left to a later update: the chat client reports the text so far at least every 2 s), and parts
 * past 2000 characters are posted as the text reaches them (reviseParts). An intermediate revision that
 * Discord refuses is left to the next one; only `finish` must succeed.
 */
export class LiveMessage {
  private posted: string[];
  /** What the posted parts show; undefined: not known (an earlier attempt's, or a revision that failed). */
  private shown: string | undefined;
  private revision: Promise<void> | null = null;
  private lastRevisionAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly discord: DiscordPoster,
    private readonly target: LiveTarget,
    private readonly editIntervalMs: number,
    /** What an earlier attempt posted (its last heartbeat), in order. */
    postedBefore: string[],
    /** Called with the ids of every part posted so far, after each change: heartbeat them. */
    private readonly onPosted: (ids: string[]) => void,
  ) {
    this.posted = [...postedBefore];
  }

  /** Ids of the parts posted so far, in order. */
  get postedIds(): string[] {
    return [...this.posted];
  }

  /** The text written so far (cleaned); blank text is not shown. */
  update(text: string): void {
    if (text.trim() === '' || text === this.shown) return;
    if (this.revision || Date.now() - this.lastRevisionAt < this.editIntervalMs) return;
    this.lastRevisionAt = Date.now();
    this.revision = this.show(text, false)
      .catch(() => {
        // The next revision (or finish) shows the text; what the parts show now is not known.
        this.shown = undefined;
      })
      .finally(() => (this.revision = null));
  }

  /** Shows the final text and returns the ids of the parts showing it, surplus parts (a longer draft's) deleted. */
  async finish(text: string): Promise<string[]> {
    await this.revision;
    await this.show(text, true);
    return this.postedIds;
  }

  /**
   * While the text is still being written, parts posted beyond what it fills so far (an earlier
   * attempt's) are kept, not deleted: posting that part again later would meet its nonce and get the
   * deleted message back. The final revision deletes what is left over.
   */
  private async show(text: string, final: boolean): Promise<void> {
    const filled = final ? this.posted.length : splitMessage(text).length;
    const kept = this.posted.slice(filled);
    const ids = await reviseParts(
      this.discord,
      { ...this.target, posted: this.posted.slice(0, filled), text, shown: this.shown },
      (now) => {
        this.posted = [...now, ...kept];
        this.onPosted(this.postedIds);
      },
    );
    this.posted = [...ids, ...kept];
    this.shown = text;
  }
}
