import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAST_VERBS, fastCommand } from './fast.js';
import {
  createSandbox,
  startRig,
  watchOutput,
  type Rig,
  type Sandbox,
} from './internal/harness.js';

describe('the bundles', () => {
  const dist = join(import.meta.dirname, '..', 'dist');

  it('the launcher reads the fast verbs the bundle step wrote from FAST_VERBS, each one taken', async () => {
    expect(JSON.parse(await readFile(join(dist, 'fast-verbs.json'), 'utf8'))).toEqual(FAST_VERBS);
    for (const verb of FAST_VERBS) expect(fastCommand([verb])).toBeTypeOf('function');
  });

  it.each(['whis.cjs', 'whis-fast.cjs'])(
    '%s inlines no @whis package but the light layer (contracts, config, ipc)',
    async (bundle) => {
      const source = await readFile(join(dist, bundle), 'utf8');
      // esbuild heads each inlined module with its path
      const inlined = new Set(
        [...source.matchAll(/^\/\/ \.\.\/\.\.\/packages\/([a-z-]+)\//gm)].map((m) => m[1]),
      );
      expect([...inlined].filter((p) => !['contracts', 'config', 'ipc'].includes(p!))).toEqual([]);
    },
  );
});

describe('fastCommand: the argv forms the fast entry takes', () => {
  it.each([
    ['toggle'],
    ['start'],
    ['finish'],
    ['cancel'],
    ['edit'],
    ['toggle', '--edit'],
    ['start', '--edit'],
    ['status'],
    ['status', '--json'],
    ['status', '--format', 'waybar'],
    ['status', '--format=json'],
    ['status', '--format', 'text', '--json'],
    ['status', '--json', '--format', 'waybar'],
  ])('%s … is taken', (...argv) => {
    expect(fastCommand(argv)).toBeTypeOf('function');
  });

  it.each([
    [],
    ['listen'],
    ['toggle', '--wait'],
    ['finish', '-w'],
    ['toggle', '--live'],
    ['start', '--help'],
    ['cancel', 'now'],
    ['edit', '--wait'],
    ['finish', '--edit'],
    ['start', '--edit', '--edit'],
    ['status', '--follow'],
    ['status', '-f'],
    ['status', '--verbose'],
    ['status', '--format'],
    ['status', '--format', 'xml'],
    ['status', '--format=xml'],
    ['status', '--json', '--json'],
    ['status', '--format', 'json', '--format', 'waybar'],
    ['status', '--no-json'],
    ['status', 'extra'],
    ['--version'],
    ['Status'],
  ])('%s … goes to the full command line', (...argv) => {
    expect(fastCommand(argv)).toBeUndefined();
  });
});

// The same commands through the fast entry and through the full command line (WHIS_FULL_CLI=1)
// print the same and exit with the same code, against a real daemon and with none.
let rig: Rig;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  rig = await startRig('one two three');
}, 60_000);
afterAll(async () => {
  await rig?.stop();
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
});

async function newSandbox(): Promise<Sandbox> {
  sandbox = await createSandbox({ ...rig.env, OPENAI_API_KEY: 'sk-fast' });
  sandbox.env.XDG_CACHE_HOME = join(sandbox.root, 'cache');
  return sandbox;
}

const FULL = { WHIS_FULL_CLI: '1' };

// what differs between two runs of one command for reasons other than the path it took
function normalise(result: RunResult): RunResult {
  const clean = (text: string) =>
    text
      .replace(/\d{8}-\d{6}-[0-9a-f]{4}/g, '<id>')
      .replace(/(up|REC) \d+:\d\d/g, '$1 <t>')
      .replace(/"uptimeMs":\d+/g, '"uptimeMs":<t>');
  return { ...result, stdout: clean(result.stdout), stderr: clean(result.stderr) };
}

describe('the fast entry against the full command line', () => {
  it('no daemon: every form prints the same and exits 3', async () => {
    const s = await newSandbox();
    for (const args of [
      ['status'],
      ['status', '--json'],
      ['status', '--format', 'waybar'],
      ['toggle'],
      ['start'],
      ['finish'],
      ['cancel'],
    ]) {
      const fast = normalise(await s.whis(args));
      const full = normalise(await s.whis(args, { env: FULL }));
      expect(fast, args.join(' ')).toEqual(full);
      expect(fast.code).toBe(3);
    }
    // the fast entry ran: its code cache is written
    expect(await readdir(join(s.env.XDG_CACHE_HOME!, 'whis'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^whis-fast-/)]),
    );
  }, 60_000);

  it('a running daemon: the same steps from the same states print the same through both', async () => {
    const s = await newSandbox();
    const daemon = s.spawnWhis(['listen', '--no-hotkey']);
    await watchOutput(daemon).waitFor(/Listening/);
    const idle = async () => {
      for (;;) {
        const status = JSON.parse((await s.whis(['status', '--json'])).stdout) as {
          state: string;
          transcribing: string[];
        };
        if (status.state === 'idle' && status.transcribing.length === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // each run begins after a finished recording, so that both see a service in the same state
    const steps = async (env: NodeJS.ProcessEnv) => {
      const step = async (args: string[]) => normalise(await s.whis(args, { env }));
      await s.whis(['start']);
      await s.whis(['finish']);
      await idle();
      return [
        await step(['status']),
        await step(['status', '--format', 'waybar']),
        await step(['finish']),
        await step(['cancel']),
        await step(['start']),
        await step(['start']),
        await step(['status', '--format=waybar']),
        await step(['cancel']),
        await step(['toggle']),
        await step(['toggle']),
        await step(['finish']),
        await step(['edit']),
        await step(['cancel']),
        await step(['start', '--edit']),
        await step(['cancel']),
      ];
    };
    const fast = await steps({});
    const full = await steps(FULL);
    expect(fast).toEqual(full);
    expect(fast.map((r) => r.code)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(fast[11]!.stdout).toMatch(/^Say what to change in the selection \(recording <id>;/);
    expect(fast[13]).toEqual(fast[11]);
    expect(fast[0]!.stdout).toMatch(
      /^Service: Running \(Idle\)\n[^]*Last error: The recording held no speech/,
    );
    expect(JSON.parse(fast[1]!.stdout)).toMatchObject({ class: 'error' });
    expect(fast[2]!.stderr).toBe(
      'whis: Nothing is recording. Start with `whis toggle` or `whis start`.\n',
    );
    expect(fast[4]!.stdout).toMatch(
      /^Recording <id>… \(`whis toggle` or `whis finish` to stop\)\n$/,
    );
    expect(fast[5]).toEqual(fast[4]);
    expect(JSON.parse(fast[6]!.stdout)).toMatchObject({ class: 'recording' });
    expect(fast[7]!.stdout).toBe('Recording <id> discarded.\n');
    expect(fast[9]!.stdout).toBe('Recording <id> finished; transcribing…\n');
    await idle();
  }, 120_000);
});
