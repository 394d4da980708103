import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastLines } from './logs.impl.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lastLines', () => {
  it('reads the last lines of a large log in blocks, across block boundaries', async () => {
    const file = join(dir, 'whisd.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `{"msg":"line ${i}"}`);
    await writeFile(file, `${lines.join('\n')}\n`);
    expect(await lastLines(file, 3, 100)).toEqual(lines.slice(-3));
    expect(await lastLines(file, 250, 1000)).toEqual(lines.slice(-250));
  });

  it('returns every line of a short file, and none of an empty one', async () => {
    const file = join(dir, 'short.log');
    await writeFile(file, 'a\nb\n');
    expect(await lastLines(file, 10)).toEqual(['a', 'b']);
    await writeFile(file, '');
    expect(await lastLines(file, 10)).toEqual([]);
  });
});
