import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  gnome48Root,
  KEYSYMS,
  startGnomeSession,
  startTranscriptionServer,
  startVirtualMicrophone,
  synthesize,
  type GnomeSession,
  type TranscriptionServer,
  type VirtualMicrophone,
} from '@whis/testkit';
import { PORTAL_APP_ID } from '@whis/hotkey';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createSandbox, type Sandbox } from './internal/harness.js';

// A real GNOME 48 (gnome-shell 48.7, xdg-desktop-portal 1.20.3, xdg-desktop-portal-gnome 48.0) in a
// Debian 13 tree (chroot), built once per machine; whis runs on the host against its bus.
const PHRASE = 'one two three four five';
const { ctrl, shift, alt, r, a, i, s: S } = KEYSYMS;
let gnome: GnomeSession;
let mic: VirtualMicrophone;
let server: TranscriptionServer;
let phraseWav: string;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  gnome = await startGnomeSession({ root: await gnome48Root() });
  // the desktop checks that the program of whis's desktop entry exists in its own file tree
  await gnome.mirrorFile(CLI);
  mic = await startVirtualMicrophone();
  server = await startTranscriptionServer();
  phraseWav = join(gnome.directory, 'phrase.wav');
  await synthesize(PHRASE, phraseWav);
}, 400_000);
afterAll(async () => {
  await server?.close();
  await mic?.stop();
  await gnome?.stop();
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
});

/** A sandbox whose XDG_DATA_HOME is the one the desktop reads (for whis's desktop entry). */
async function newSandbox(options: { dataHome?: string } = {}): Promise<Sandbox> {
  sandbox = await createSandbox(
    {
      ...mic.env,
      ...gnome.env,
      PULSE_SERVER: mic.env.PULSE_SERVER,
      OPENAI_BASE_URL: server.baseURL,
      OPENAI_API_KEY: 'sk-e2e',
    },
    options,
  );
  return sandbox;
}

const recording = (x: Record<string, unknown>) => x.state === 'recording' && x.recording !== null;

describe('whis listen on GNOME 48 Wayland: the hotkey through the GlobalShortcuts portal', () => {
  it('with no desktop entry: whis writes it and says so, the first bind is asked once, a tap records and a second ends it; status names the key', async () => {
    const s = await newSandbox({ dataHome: gnome.env.XDG_DATA_HOME! });
    s.spawnWhis(['listen']);
    await gnome.answerDialog(/^Add Keyboard Shortcuts$/, [[alt, a]]);
    await s.waitForStatus((st) => st.hotkeyActive === true);
    const entryPath = join(gnome.env.XDG_DATA_HOME!, 'applications', `${PORTAL_APP_ID}.desktop`);
    const log = await readFile(join(s.env.XDG_STATE_HOME!, 'whis', 'whisd.log'), 'utf8');
    expect(log).toMatch(
      /"path":"[^"]*\/applications\/io\.github\.whis\.Whis\.desktop".*wrote the desktop entry/,
    );
    expect(log).toContain(entryPath);
    const entry = await readFile(entryPath, 'utf8');
    expect(entry).toMatch(/^NoDisplay=true$/m);
    expect(entry).toContain(`Exec=${CLI}`);
    expect(await s.status()).toMatchObject({ hotkeyBackend: 'portal', hotkeyProblem: null });
    await gnome.keys.tap(ctrl, shift, r);
    await s.waitForStatus(recording);
    await gnome.keys.tap(ctrl, shift, r);
    await s.waitForStatus((x) => x.state !== 'recording');
  }, 120_000);

  it('push-to-talk from a new service process: bound without a dialog; holding records, the release ends it', async () => {
    const s = await newSandbox({ dataHome: gnome.env.XDG_DATA_HOME! });
    await s.listen(['--push-to-talk']);
    await s.waitForStatus((st) => st.hotkeyActive === true);
    expect(await gnome.windowTitles()).not.toContain('Add Keyboard Shortcuts');
    await gnome.keys.down(ctrl, shift, r);
    await s.waitForStatus(recording);
    await mic.play(phraseWav);
    expect((await s.status()).state).toBe('recording');
    await gnome.keys.up(ctrl, shift, r);
    expect(await s.transcript(1)).toBe(PHRASE);
  }, 120_000);
});

type Doctor = { checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }> };
const entryCheck = async (s: Sandbox) =>
  (await s.json<Doctor>(['doctor', '--json'], { timeoutMs: 60_000 })).checks.find(
    (c) => c.name === 'Desktop entry',
  );

describe('whis setup and whis doctor on GNOME 48: the desktop entry the portal needs', () => {
  it('doctor fails the check while the entry is missing or runs a missing program, with the fix; setup writes it, then says it is there', async () => {
    // a data folder of the sandbox's own: what whis checks and writes, not what the desktop reads
    const s = await newSandbox();
    const path = join(s.env.XDG_DATA_HOME!, 'applications', `${PORTAL_APP_ID}.desktop`);
    expect(await entryCheck(s)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/no io\.github\.whis\.Whis\.desktop/),
      fix: expect.stringMatching(/whis setup/),
    });

    const setup = ['setup', '--yes', '--no-test', '--bindings', 'skip'];
    const first = await s.whis(setup, { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      `Wrote the desktop entry the portal needs: ${path} (runs ${CLI})`,
    );
    expect(await readFile(path, 'utf8')).toMatch(new RegExp(`^Exec=${CLI}$`, 'm'));
    const again = await s.whis(setup, { timeoutMs: 60_000 });
    expect(again.stdout).toContain(`The desktop entry the portal needs is there: ${path}`);
    expect(await entryCheck(s)).toMatchObject({
      ok: true,
      detail: `${path} runs ${CLI} (the desktop portal knows whis by it)`,
    });

    // whis moved (reinstalled elsewhere): the entry runs a program that is gone
    const moved = (await readFile(path, 'utf8')).replace(/^Exec=.*$/m, 'Exec=/opt/gone/whis');
    await writeFile(path, moved);
    expect(await entryCheck(s)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('runs /opt/gone/whis, which is missing'),
      fix: expect.stringMatching(/whis setup/),
    });
    const repaired = await s.whis(setup, { timeoutMs: 60_000 });
    expect(repaired.stdout).toContain(`Wrote the desktop entry the portal needs: ${path}`);
    expect(await entryCheck(s)).toMatchObject({ ok: true });
  }, 180_000);
});

describe('whis listen on GNOME 48 Wayland: typing through the RemoteDesktop portal', () => {
  it('the first session asks (remembered), a new service process types with the restore token and no dialog', async () => {
    const s = await newSandbox();
    expect((await s.whis(['config', 'set', 'outputs', 'type'])).code).toBe(0);
    const window = await gnome.openTextWindow();
    try {
      for (const round of [1, 2]) {
        const { daemon } = await s.listen(['--hotkey-backend', 'none']);
        expect((await s.whis(['toggle'])).code).toBe(0);
        await s.waitForStatus(recording);
        await mic.play(phraseWav);
        expect((await s.whis(['toggle'])).code).toBe(0);
        if (round === 1) {
          // the "Remote desktop" dialog: Remember This Selection, Share
          await gnome.answerDialog(/^Remote Desktop$/, [
            [alt, i],
            [alt, S],
          ]);
        }
        const expected = round === 1 ? PHRASE : `${PHRASE}${PHRASE}`;
        expect(await window.waitForText((t) => t.length >= expected.length, 60_000)).toBe(expected);
        if (round === 2) {
          expect(await gnome.windowTitles()).toEqual(['whis text window']);
          expect((await s.status()).output).toMatch(/session started/);
        }
        const exited = new Promise((resolve) => daemon.once('exit', resolve));
        expect((await s.whis(['stop'], { timeoutMs: 60_000 })).code).toBe(0);
        await exited;
      }
      const token = await readFile(
        join(s.env.XDG_STATE_HOME!, 'whis', 'remote-desktop.token'),
        'utf8',
      );
      expect(token.trim()).not.toBe('');
    } finally {
      await window.close();
    }
  }, 180_000);
});
