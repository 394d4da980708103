import {
  run,
  startKdeSession,
  startTranscriptionServer,
  startVirtualMicrophone,
  synthesize,
  type KdeSession,
  type TranscriptionServer,
  type VirtualMicrophone,
} from '@whis/testkit';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, watchOutput, type Sandbox } from './internal/harness.js';

// "two" has a w: typed with a US layout on a French keyboard it arrives as "tzo"
const PHRASE = 'one two three four five';
let kde: KdeSession;
let mic: VirtualMicrophone;
let server: TranscriptionServer;
let scratch: string;
let phraseWav: string;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  kde = await startKdeSession({ layouts: ['fr'] });
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

describe('whis listen on KDE Plasma 5.27 Wayland (French layout): outputs type through the RemoteDesktop portal', () => {
  it('the first dictation after start is typed into the focused window, right on the layout; status and doctor name the portal', async () => {
    // no /dev/uinput, no input group, no ydotool: only the desktop's portal
    const s = (sandbox = await createSandbox({
      ...mic.env,
      ...kde.env,
      PULSE_SERVER: mic.env.PULSE_SERVER,
      OPENAI_BASE_URL: server.baseURL,
      OPENAI_API_KEY: 'sk-e2e',
    }));
    // the user's keyboard settings, as Plasma writes them
    await mkdir(s.env.XDG_CONFIG_HOME!, { recursive: true });
    await writeFile(join(s.env.XDG_CONFIG_HOME!, 'kxkbrc'), '[Layout]\nLayoutList=fr\nUse=true\n');
    expect((await s.whis(['config', 'set', 'outputs', 'type'])).code).toBe(0);
    const window = await kde.openTextWindow();
    try {
      const daemon = s.spawnWhis(['listen', '--hotkey-backend', 'none']);
      await watchOutput(daemon).waitFor(/Listening/);
      expect(await s.status()).toMatchObject({
        output: expect.stringMatching(/^type with portal \(Wayland on KDE/),
      });
      expect((await s.whis(['toggle'])).code).toBe(0);
      await s.waitForStatus((x) => x.state === 'recording' && x.recording !== null);
      await mic.play(phraseWav);
      expect((await s.whis(['toggle'])).code).toBe(0);
      expect(await window.waitForText((t) => t.length >= PHRASE.length, 60_000)).toBe(PHRASE);
      const st = await s.status();
      expect(st.output).toMatch(
        /the desktop answered: session started \(RemoteDesktop version \d+, keyboard/,
      );
      expect(st.problems).toEqual([]);

      const doctor = JSON.parse(
        (await s.whis(['doctor', '--json'], { timeoutMs: 60_000 })).stdout,
      ) as { checks: Array<{ name: string; ok: boolean; detail: string }> };
      expect(doctor.checks.find((c) => c.name === 'Typing and pasting')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(
          /^desktop portal \(RemoteDesktop version \d+, keyboard offered/,
        ),
      });

      // the user ends the session from the tray: the next dictation is kept on the clipboard and
      // in `whis last`, with the reason; the one after types again
      expect(await kde.endPortalSessions()).toBeGreaterThan(0);
      expect((await s.whis(['toggle'])).code).toBe(0);
      await s.waitForStatus((x) => x.state === 'recording' && x.recording !== null);
      await mic.play(phraseWav);
      expect((await s.whis(['toggle'])).code).toBe(0);
      const failed = await s.waitForStatus((x) => x.lastError !== null && x.state === 'idle');
      expect(JSON.stringify(failed.lastError)).toMatch(
        /ended whis's remote-control session.*The text is on the clipboard/,
      );
      const last = JSON.parse((await s.whis(['last', '--json'])).stdout) as Array<{ text: string }>;
      expect(last[0]!.text).toBe(PHRASE);
      expect((await run('wl-paste', ['--no-newline'], { env: kde.env })).stdout).toBe(PHRASE);
      expect(await window.text()).toBe(PHRASE);
    } finally {
      await window.close();
    }
  }, 180_000);
});
