/** Memory of running processes, read from /proc (Linux only), for the soak and load benchmarks. */
import { readdirSync, readFileSync } from 'node:fs';

/** The resident set (VmRSS) of one process in MB; undefined when it is gone or /proc is missing. */
function ownRssMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Every live process's /proc/<pid>/stat fields after the command name (the first is the state, the
 * second the parent; utime and stime are the 12th and 13th). A process that ends meanwhile is left out.
 */
export function processStats(): Array<{ pid: number; fields: string[] }> {
  const stats: Array<{ pid: number; fields: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      stats.push({ pid, fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') });
    } catch {
      // gone meanwhile
    }
  }
  return stats;
}

/** Every live process's parent. */
function parents(): Map<number, number> {
  return new Map(processStats().map(({ pid, fields }) => [pid, Number(fields[1])]));
}

/**
 * RSS in MB of `pid` and, with `withChildren`, everything it started (a server that forks
 * helpers, e.g. a wrapper script around the real binary, counts as one). Pages shared between
 * them count once per process, as `ps` shows them.
 */
export function rssMb(pid: number, withChildren = false): number | undefined {
  const own = ownRssMb(pid);
  if (own === undefined || !withChildren) return own;
  const parentOf = parents();
  const tree = new Set([pid]);
  // Parents come before children in most listings but not all: repeat until nothing joins.
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parentOf) {
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
    }
  }
  return [...tree].reduce((sum, member) => sum + (member === pid ? own : (ownRssMb(member) ?? 0)), 0);
}
