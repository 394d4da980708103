import {
  EVDEV_KEYS,
  QT_KEYS,
  startKdeSession,
  startTranscriptionServer,
  startVirtualMicrophone,
  synthesize,
  type KdeSession,
  type TranscriptionServer,
  type VirtualMicrophone,
} from '@whis/testkit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './internal/harness.js';

const PHRASE = 'one two three four five';
const { ctrl, shift, alt, r, d } = EVDEV_KEYS;
let kde: KdeSession;
let mic: VirtualMicrophone;
let server: TranscriptionServer;
let scratch: string;
let phraseWav: string;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  kde = await startKdeSession();
  mic = await startVirtualMicrophone();
  server = await startTranscriptionServer();
  scratch = await mkdtemp(join(tmpdir(), 'whis-phrase-'));
  phraseWav = join(scratch, 'phrase.wav');
  await synthesize(PHRASE, phraseWav);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await mic?.stop();
  await kde?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
});

async function newSandbox(): Promise<Sandbox> {
  // the KDE session's bus, runtime dir and WAYLAND_DISPLAY; the microphone's sound server
  sandbox = await createSandbox({
    ...mic.env,
    ...kde.env,
    PULSE_SERVER: mic.env.PULSE_SERVER,
    OPENAI_BASE_URL: server.baseURL,
    OPENAI_API_KEY: 'sk-e2e',
  });
  expect((await sandbox.whis(['config', 'set', 'outputs', 'file'])).code).toBe(0);
  return sandbox;
}

/** `whis listen`, once the portal has bound the hotkey. */
async function listen(s: Sandbox, args: string[] = []) {
  const started = await s.listen(args);
  await s.waitForStatus((st) => st.hotkeyActive === true);
  return started;
}

describe('whis listen on a KDE Plasma 5.27 Wayland session: the hotkey through the GlobalShortcuts portal', () => {
  it('a tap starts a dictation, a second tap ends it; status and doctor name the portal and the key KDE bound', async () => {
    const s = await newSandbox();
    const { output } = await listen(s);
    const st = await s.status();
    expect(st).toMatchObject({
      hotkey: 'ctrl+shift+r',
      hotkeyBackend: 'portal',
      hotkeyBinding: 'Ctrl+Shift+R',
      hotkeyProblem: null,
    });
    expect((await s.whis(['status'])).stdout).toContain(
      'Hotkey: ctrl+shift+r (desktop portal, bound to Ctrl+Shift+R)',
    );
    await output.waitFor(/The desktop bound the hotkey to Ctrl\+Shift\+R/);
    await kde.keys.tap(ctrl, shift, r);
    await s.waitForStatus((x) => x.state === 'recording' && x.recording !== null);
    await mic.play(phraseWav);
    await kde.keys.tap(ctrl, shift, r);
    expect(await s.transcript(1)).toBe(PHRASE);

    const doctor = JSON.parse(
      (await s.whis(['doctor', '--json'], { timeoutMs: 60_000 })).stdout,
    ) as {
      checks: Array<{ name: string; ok: boolean; detail: string }>;
    };
    expect(doctor.checks.find((c) => c.name === 'Hotkey')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^desktop portal \(GlobalShortcuts version \d+\)/),
    });
  }, 120_000);

  it('push-to-talk: holding the key records, the release ends it', async () => {
    const s = await newSandbox();
    await listen(s, ['--push-to-talk']);
    await kde.keys.down(ctrl, shift, r);
    await s.waitForStatus((x) => x.state === 'recording' && x.recording !== null);
    await mic.play(phraseWav);
    expect((await s.status()).state).toBe('recording');
    await kde.keys.up(ctrl, shift, r);
    expect(await s.transcript(1)).toBe(PHRASE);
  }, 120_000);

  it('a restarted service gets the key again', async () => {
    const s = await newSandbox();
    for (let round = 1; round <= 2; round++) {
      const { daemon } = await listen(s);
      await kde.keys.tap(ctrl, shift, r);
      await s.waitForStatus((x) => x.state === 'recording' && x.recording !== null);
      await s.whis(['cancel']);
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      expect((await s.whis(['stop'], { timeoutMs: 60_000 })).code).toBe(0);
      await exited;
    }
  }, 120_000);

  it('a key rebound in KDE (kglobalaccel) is followed', async () => {
    const s = await newSandbox();
    await listen(s);
    await kde.rebind('whis', 'dictate', QT_KEYS.ctrl | QT_KEYS.alt | QT_KEYS.d);
    try {
      await s.waitForStatus((x) => x.hotkeyBinding === 'Ctrl+Alt+D');
      await kde.keys.tap(ctrl, alt, d);
      await s.waitForStatus((x) => x.state === 'recording' && x.recording !== null);
      await mic.play(phraseWav);
      await kde.keys.tap(ctrl, alt, d);
      expect(await s.transcript(1)).toBe(PHRASE);
    } finally {
      await kde.rebind('whis', 'dictate', QT_KEYS.ctrl | QT_KEYS.shift | QT_KEYS.r);
    }
  }, 120_000);
});
