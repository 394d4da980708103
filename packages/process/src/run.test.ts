import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endProcessGroup, runProcess, shellCommand } from './run.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-process-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// alive and not a zombie waiting for its parent (a container's init may not reap at once)
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// a command line whose shell and child both ignore SIGTERM (an ignored signal stays ignored
// across exec), writing their pids to `file`
const stubborn = (file: string) => `trap '' TERM; sleep 60 & echo "$$ $!" > '${file}'; wait`;
const pidsIn = async (file: string) =>
  (await readFile(file, 'utf8')).trim().split(' ').map(Number) as [number, number];

describe('runProcess', () => {
  it('gives the text on stdin and resolves with stdout', async () => {
    const { stdout } = await runProcess({
      ...shellCommand('tr a-z A-Z'),
      input: 'hi',
      output: true,
    });
    expect(stdout.toString()).toBe('HI');
  });

  it('a non-zero exit is failed, with the exit code and stderr', async () => {
    await expect(runProcess(shellCommand('echo nope >&2; exit 3'))).rejects.toMatchObject({
      id: 'process/failed',
      exitCode: 3,
      stderr: 'nope\n',
      message: 'sh failed (3): nope',
    });
  });

  it('a program that is not installed is missing', async () => {
    await expect(runProcess({ command: 'whis-no-such-program' })).rejects.toMatchObject({
      id: 'process/missing',
    });
  });

  it('at its time-out, a command that ignores SIGTERM is killed with what it started', async () => {
    const pids = join(dir, 'pids');
    await expect(
      runProcess({ ...shellCommand(stubborn(pids)), timeoutMs: 300, graceMs: 200 }),
    ).rejects.toMatchObject({ id: 'process/timeout', message: 'sh did not finish within 300 ms.' });
    const [shell, child] = await pidsIn(pids);
    // rejected once the program itself is gone; what it started goes with its group
    expect(alive(shell)).toBe(false);
    await expect.poll(() => alive(child)).toBe(false);
  });

  it('an abort ends the group the same way, as aborted', async () => {
    const pids = join(dir, 'pids');
    const stop = new AbortController();
    const run = runProcess({ ...shellCommand(stubborn(pids)), signal: stop.signal, graceMs: 200 });
    await expect.poll(() => readFile(pids, 'utf8').catch(() => '')).toMatch(/\d+ \d+/);
    stop.abort();
    await expect(run).rejects.toMatchObject({ id: 'process/aborted' });
    const [shell, child] = await pidsIn(pids);
    expect(alive(shell)).toBe(false);
    await expect.poll(() => alive(child)).toBe(false);
  });
});

describe('endProcessGroup', () => {
  it('a group whose leader ends on SIGTERM: what it left is killed at once, not after the grace', async () => {
    const pids = join(dir, 'pids');
    // the leader ends on SIGTERM; its child ignores it
    const child = spawn(
      'sh',
      ['-c', `(trap '' TERM; exec sleep 60) & echo "$$ $!" > '${pids}'; wait`],
      { detached: true, stdio: 'ignore' },
    );
    await expect.poll(() => readFile(pids, 'utf8').catch(() => '')).toMatch(/\d+ \d+/);
    await endProcessGroup(child, 60_000);
    const [, left] = await pidsIn(pids);
    await expect.poll(() => alive(left)).toBe(false);
  });
});
