import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A process that writes on descriptors 1 and 2 during the capture, as a native library does (a
// write(2) that Node's streams never see), then writes through process.stdout and stderr after it.
const built = fileURLToPath(new URL('../../dist/internal/native-output.js', import.meta.url));
const script = `
import { writeSync } from 'node:fs';
const { captureNativeOutput } = await import(${JSON.stringify(built)});
process.stdout.write('before\\n');
const { value, output } = captureNativeOutput(() => {
  writeSync(1, 'PortAudio V19.6.0-devel\\n');
  writeSync(2, "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\\n");
  return 42;
});
process.stdout.write('after\\n');
process.stderr.write(JSON.stringify({ value, output }) + '\\n');
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-native-output-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the script with stdout and stderr on files a shell opened (`>`) or on a pipe (`|`). */
function runThrough(shell: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', shell], {
      env: { ...process.env, SCRIPT: script, NODE: process.execPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`)),
    );
  });
}

describe('captureNativeOutput', () => {
  it('keeps what native code prints off a pipe and hands it back', async () => {
    const err = join(dir, 'pipe.err');
    const out = await runThrough(`"$NODE" --input-type=module -e "$SCRIPT" 2>"${err}" | cat`);
    expect(out).toBe('before\nafter\n');
    const result = JSON.parse(await readFile(err, 'utf8')) as { value: number; output: string };
    expect(result.value).toBe(42);
    expect(result.output).toContain('PortAudio V19.6.0-devel');
    expect(result.output).toContain("ALSA lib confmisc.c:855:(parse_card) cannot find card '0'");
  });

  it('keeps it out of files too, and what was in them stays', async () => {
    const out = join(dir, 'file.out');
    const err = join(dir, 'file.err');
    await writeFile(out, 'earlier\n');
    await runThrough(`"$NODE" --input-type=module -e "$SCRIPT" >>"${out}" 2>"${err}"`);
    expect(await readFile(out, 'utf8')).toBe('earlier\nbefore\nafter\n');
    // one line on stderr: the script's own, with the captured text inside it
    const lines = (await readFile(err, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0]!) as { output: string }).output).toContain('ALSA lib');
  });
});
