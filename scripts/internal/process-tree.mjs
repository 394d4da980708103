// What the benches measure of a running program: the resident memory of it and every process it
// started (read from /proc, Linux only).
import { readdirSync, readFileSync } from 'node:fs';

/** The resident set of process `pid` in MB, 0 once it is gone. */
export function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return 0; // gone meanwhile
  }
}

/** Process `pid` and all its descendants, `pid` first. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) pids.push(...(children.get(pids[i]) ?? []));
  return pids;
}

/** The resident set of process `pid` and all its descendants, in MB. */
export function treeRss(pid) {
  return processTree(pid).reduce((sum, p) => sum + rss(p), 0);
}
