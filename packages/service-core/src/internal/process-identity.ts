import { readFileSync } from 'node:fs';

/** A process as it is known on disk: its pid and, on Linux, its start time (a reused pid differs). */
export interface ProcessIdentity {
  pid: number;
  /** Clock ticks since boot, field 22 of /proc/<pid>/stat; null where it cannot be read. */
  started: string | null;
}

// The command name before field 22 may hold spaces and parentheses: count from the last ')'.
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function thisProcess(): ProcessIdentity {
  return { pid: process.pid, started: processStart(process.pid) };
}

/** True while that very process runs: where its start time is known, a reused pid does not count. */
export function isAlive(identity: ProcessIdentity): boolean {
  try {
    process.kill(identity.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return identity.started === null || processStart(identity.pid) === identity.started;
}
