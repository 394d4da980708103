import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandOutput } from './command.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-command-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// alive and not a zombie waiting for its parent (this container's init may not reap at once)
function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('createCommandOutput', () => {
  it('delivers the transcript on the command’s stdin', async () => {
    const file = join(dir, 'notes.txt');
    await createCommandOutput(`cat >> '${file}'`).deliver('hello');
    expect(await readFile(file, 'utf8')).toBe('hello');
  });

  it('a command that ignores SIGTERM and outlives its time is killed, with what it started', async () => {
    const pids = join(dir, 'pids');
    // the shell and its child both ignore SIGTERM (an ignored signal stays ignored across exec)
    const output = createCommandOutput(`trap '' TERM; sleep 60 & echo "$$ $!" > '${pids}'; wait`, {
      timeoutMs: 300,
    });
    await expect(output.deliver('x')).rejects.toMatchObject({
      code: 'tool-failed',
      message: expect.stringMatching(/did not finish within 300 ms/),
    });
    const [shell, child] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    await expect.poll(() => [alive(shell!), alive(child!)]).toEqual([false, false]);
  });
});
