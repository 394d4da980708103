import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '@whis/testkit';
import { describe, expect, it } from 'vitest';
import { PostProcessError } from '../errors.js';
import { runTextCommand } from './command.js';

describe('command step (a real shell)', () => {
  it('puts the text on stdin and takes stdout, one final line break removed', async () => {
    expect(await runTextCommand('hello wörld', { command: 'tr a-z A-Z; echo' })).toBe(
      'HELLO WöRLD',
    );
  });

  it('keeps inner line breaks', async () => {
    expect(await runTextCommand('a\nb', { command: 'cat' })).toBe('a\nb');
  });

  it.each([
    ['a non-zero exit', 'echo broken >&2; exit 3', /failed \(3\): broken; the text is kept/],
    ['empty output', 'cat >/dev/null', /printed nothing/],
    ['a command that is not there', 'no-such-command-whis', /failed \(127\)/],
  ])('rejects %s, saying which', async (_name, command, message) => {
    const run = runTextCommand('text', { command });
    await expect(run).rejects.toThrow(PostProcessError);
    await expect(run).rejects.toThrow(message);
  });

  it('kills a command that outlives its budget, and what it started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'whis-command-'));
    const pidFile = join(dir, 'pid');
    try {
      const started = Date.now();
      await expect(
        runTextCommand('text', {
          command: `sleep 30 & echo $! > ${pidFile}; wait; echo late`,
          timeoutMs: 500,
        }),
      ).rejects.toThrow(/did not finish within 500 ms/);
      expect(Date.now() - started).toBeLessThan(15_000);
      const pid = Number(await readFile(pidFile, 'utf8'));
      await expect.poll(() => processAlive(pid), { timeout: 2000 }).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
