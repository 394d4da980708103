// naudiodon installs a SIGSEGV handler as it loads that writes `crash.log` into the working
// directory: whatever folder the user started whis in. The stack goes where whis says instead.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A Node process in `cwd` that loads PortAudio through a microphone, then gets a SIGSEGV. */
function crashAfterLoading(cwd: string, options: string, env: NodeJS.ProcessEnv = process.env) {
  const script = `
    import { createMicrophone } from ${JSON.stringify(BUILT)};
    const microphone = createMicrophone(${options});
    // loads PortAudio; without a sound server the opening itself may fail: it is loaded by then
    await microphone.start({ directory: process.cwd() }).then((c) => c.abort(), () => undefined);
    // a SIGSEGV sent, not a fault: the handler runs, writes, and the process goes on
    process.kill(process.pid, 'SIGSEGV');
  `;
  return new Promise<{ stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve({ stderr }));
  });
}

describe('a crash in native audio code', () => {
  it('writes its stack where the microphone was told, and nothing into the working directory', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'whis-cwd-'));
    const state = await mkdtemp(join(tmpdir(), 'whis-state-'));
    dirs.push(cwd, state);
    const log = join(state, 'native-crash.log');
    const { stderr } = await crashAfterLoading(cwd, JSON.stringify({ nativeCrashLog: log }));
    expect(stderr).toContain('received SIGSEGV');
    expect(await readFile(log, 'utf8')).toContain('received SIGSEGV');
    expect(await readdir(cwd)).toEqual([]);
  }, 30_000);

  it('told nothing: the stack goes to the temporary directory, never the working directory', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'whis-cwd-'));
    const tmp = await mkdtemp(join(tmpdir(), 'whis-tmp-'));
    dirs.push(cwd, tmp);
    await crashAfterLoading(cwd, '{}', { ...process.env, TMPDIR: tmp });
    expect(await readdir(cwd)).toEqual([]);
    const [file, ...more] = await readdir(tmp);
    expect(more).toEqual([]);
    expect(file).toMatch(/^whis-native-crash-\d+\.log$/);
    expect(await readFile(join(tmp, file!), 'utf8')).toContain('received SIGSEGV');
  }, 30_000);
});
