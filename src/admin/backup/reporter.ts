/** Where a backup's progress goes: a terminal, a pipe or log file, or nowhere (tests). */

export interface BackupReporter {
  /** `done` of about `total` items of `task` handled so far. */
  progress(task: string, done: number, total: number): void;
  /** A finished step, a warning, a summary line. */
  line(text: string): void;
}

export const silentReporter: BackupReporter = { progress: () => undefined, line: () => undefined };

/**
 * Progress on one rewritten line of a terminal (10 updates a second at most); on a pipe or a log file a
 * line every 5 s instead.
 */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): BackupReporter {
  const tty = Boolean(stream.isTTY);
  let last = 0;
  let lastKey = '';
  let taskStarted = { task: '', at: 0 };
  let open = false;
  return {
    progress(task, done, total) {
      const now = Date.now();
      if (taskStarted.task !== task) taskStarted = { task, at: now };
      const key = `${task} ${done}`;
      if (key === lastKey || (now - last < (tty ? 100 : 5000) && done < total)) return;
      last = now;
      lastKey = key;
      const seconds = (now - taskStarted.at) / 1000;
      const rate = seconds > 0.5 ? `  ${Math.round(done / seconds)}/s` : '';
      const percent = total > 0 ? ` (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
      const text = `${task}  ${done}/${total}${percent}${rate}`;
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        open = true;
      } else stream.write(`${text}\n`);
    },
    line(text) {
      if (open) stream.write('\r\x1b[2K');
      open = false;
      stream.write(`${text}\n`);
    },
  };
}
