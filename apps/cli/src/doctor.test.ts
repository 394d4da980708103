import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  grabKeyElsewhere,
  startMediaPlayer,
  X_MODIFIERS,
  startNotificationDaemon,
  startSessionBus,
  type NotificationDaemon,
  type SessionBus,
} from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, startRig, type Rig, type Sandbox } from './internal/harness.js';

let rig: Rig;
let bus: SessionBus;
let dunst: NotificationDaemon;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  rig = await startRig('one two three');
  bus = await startSessionBus();
  dunst = await startNotificationDaemon(bus, rig.x);
}, 60_000);
afterAll(async () => {
  // the servers are stopped even when a sandbox cannot be removed
  try {
    for (const s of sandboxes) await s.cleanup();
  } finally {
    await dunst?.stop();
    await bus?.stop();
    await rig?.stop();
  }
});

interface Report {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; required: boolean; detail: string; fix?: string }>;
}

/** `whis doctor --json` with everything present, then `change` applied to the environment. */
async function doctor(
  change: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; report: Report }> {
  const s = await createSandbox({
    ...rig.env,
    OPENAI_API_KEY: 'sk-doctor',
    DBUS_SESSION_BUS_ADDRESS: bus.address,
    ...change,
  });
  sandboxes.push(s);
  const result = await s.whis(['doctor', '--json'], { timeoutMs: 60_000 });
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

const failing = (report: Report) => report.checks.filter((c) => !c.ok).map((c) => c.name);
const check = (report: Report, name: string) => report.checks.find((c) => c.name === name)!;

describe('whis doctor against real conditions', () => {
  it('everything present: every check passes, exit 0', async () => {
    const { code, report } = await doctor();
    expect(failing(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual([
      'Node.js',
      'Settings',
      'Directories',
      'Audio library',
      'Microphone',
      'Speech detection',
      'Session',
      'Clipboard',
      'Hotkey',
      'Edit key',
      'API key',
      'Endpoint and model',
      'Notifications',
      'Edit by voice',
    ]);
    expect(check(report, 'Microphone').detail).toMatch(/delivers audio/);
    expect(check(report, 'Endpoint and model').detail).toMatch(/accepts gpt-transcribe/);
  }, 60_000);

  it.each([
    [
      'no sound server',
      { PULSE_SERVER: 'unix:/nonexistent/pulse' },
      'Microphone',
      /PulseAudio or PipeWire/,
    ],
    ['no display', { DISPLAY: '' }, 'Session', /graphical session/],
    ['no API key', { OPENAI_API_KEY: '' }, 'API key', /whis config --api-key/],
    [
      'the server down',
      { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
      'Endpoint and model',
      /network|endpoint/i,
    ],
    [
      'a model the server rejects',
      { WHIS_MODEL: 'whisper-1' },
      'Endpoint and model',
      /whis config set model gpt-transcribe/,
    ],
  ])(
    '%s: that check fails with its fix, exit 1',
    async (_name, change, name, fix) => {
      const { code, report } = await doctor(change);
      expect(failing(report)).toContain(name);
      expect(check(report, name).fix).toMatch(fix);
      expect(report.ok).toBe(false);
      expect(code).toBe(1);
    },
    60_000,
  );

  it("a hotkey another program holds (the desktop's own shortcut): taken, with the fix", async () => {
    const other = await grabKeyElsewhere(rig.x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    try {
      expect(other.granted).toBe(true);
      const { report } = await doctor();
      const hotkey = check(report, 'Hotkey');
      expect(hotkey).toMatchObject({
        ok: false,
        required: false,
        detail: 'X11: the hotkey is taken',
      });
      expect(hotkey.fix).toMatch(/ctrl\+shift\+r is taken.*whis config set hotkey/);
    } finally {
      await other.release();
    }
    // once free, the doctor grabs it and gives it back: another program can take it again
    const { report } = await doctor();
    expect(check(report, 'Hotkey')).toMatchObject({ ok: true });
    const after = await grabKeyElsewhere(rig.x, 'r', X_MODIFIERS.control | X_MODIFIERS.shift);
    await after.release();
    expect(after.granted).toBe(true);
  }, 60_000);

  it('edit by voice: where the selection goes; an edit key another program holds is taken, with the fix', async () => {
    const other = await grabKeyElsewhere(
      rig.x,
      'e',
      X_MODIFIERS.control | X_MODIFIERS.shift | X_MODIFIERS.mod1,
    );
    try {
      expect(other.granted).toBe(true);
      const { report, code } = await doctor();
      expect(check(report, 'Edit key')).toMatchObject({
        ok: false,
        required: false,
        detail: 'X11: the edit key is taken',
      });
      expect(check(report, 'Edit key').fix).toMatch(/whis config set editHotkey/);
      // the dictation key is free, and a dictation needs nothing of the edit key
      expect(check(report, 'Hotkey')).toMatchObject({ ok: true });
      expect(code).toBe(0);
      expect(check(report, 'Edit by voice').detail).toMatch(
        /go to http:\/\/127\.0\.0\.1:\d+\/v1 \(gpt-5-mini\), on this machine, and nowhere else/,
      );
    } finally {
      await other.release();
    }
  }, 60_000);

  it('realtime mode: the live session is checked; a refused one fails with its fix, not required', async () => {
    const live = await doctor({ WHIS_MODE: 'realtime' });
    expect(check(live.report, 'Live session')).toMatchObject({ ok: true, required: false });
    expect(live.code).toBe(0);
    rig.server.realtime.refuseSessions = {
      code: 'model_not_found',
      message: 'The model `gpt-live-transcribe` does not exist or you do not have access to it.',
    };
    try {
      const refused = await doctor({ WHIS_MODE: 'realtime' });
      expect(check(refused.report, 'Live session').ok).toBe(false);
      expect(check(refused.report, 'Live session').detail).toMatch(/model_not_found/);
      expect(check(refused.report, 'Live session').fix).toMatch(/uploaded instead/);
      // dictations still work: the exit code says so
      expect(refused.code).toBe(0);
    } finally {
      rig.server.realtime.refuseSessions = null;
    }
  }, 60_000);

  it('feedback: the notification service and the media players are checked, not required', async () => {
    const player = await startMediaPlayer(bus);
    try {
      const on = await doctor();
      expect(check(on.report, 'Notifications')).toMatchObject({ ok: true, required: false });
      const s = sandboxes.at(-1)!;
      await s.whis(['config', 'set', 'pauseMedia', 'true']);
      await s.whis(['config', 'set', 'sounds', 'stop']);
      const result = await s.whis(['doctor', '--json'], { timeoutMs: 60_000 });
      const report = JSON.parse(result.stdout) as Report;
      expect(check(report, 'Media players').detail).toMatch(/1 MPRIS player reachable: mpv/);
      expect(check(report, 'Sounds').detail).toMatch(/stop through (pw-play|paplay|aplay)/);
      const none = await doctor({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${bus.directory}/none` });
      expect(check(none.report, 'Notifications')).toMatchObject({ ok: false, required: false });
      expect(check(none.report, 'Notifications').fix).toMatch(/notification daemon/);
      expect(none.code).toBe(0);
    } finally {
      await player.stop();
    }
  }, 120_000);

  it('a settings file `whis listen` refuses is a failed check with its message, exit 1', async () => {
    const s = await createSandbox({ ...rig.env, OPENAI_API_KEY: 'sk-doctor' });
    sandboxes.push(s);
    const file = join(s.env.XDG_CONFIG_HOME!, 'whis', 'settings.json');
    await mkdir(dirname(file), { recursive: true });
    for (const [text, message] of [
      [
        '{"mode": "Realtime", "notify": "none"}',
        /"mode" takes one of file, realtime, local, not "Realtime"; "notify" takes one of errors, all, off, not "none"/,
      ],
      ['{"mode": ', /is not valid JSON/],
    ] as const) {
      await writeFile(file, text);
      const doctor = await s.whis(['doctor', '--json'], { timeoutMs: 60_000 });
      const report = JSON.parse(doctor.stdout) as Report;
      expect(check(report, 'Settings')).toMatchObject({ ok: false, required: true });
      expect(check(report, 'Settings').detail).toMatch(message);
      expect(check(report, 'Settings').detail).toContain(file);
      expect(report.ok).toBe(false);
      expect(doctor.code).toBe(1);
      // the same file, the same words, from the service
      const listen = await s.whis(['listen', '--no-hotkey']);
      expect(listen.code).toBe(1);
      expect(listen.stderr).toContain(check(report, 'Settings').detail);
    }
  }, 120_000);

  it('no clipboard tool on PATH: the clipboard check names the package', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'whis-nopath-'));
    try {
      const { code, report } = await doctor({ PATH: empty });
      expect(failing(report)).toEqual(['Clipboard']);
      expect(check(report, 'Clipboard').fix).toMatch(/Install xclip \(apt install xclip\)/);
      expect(code).toBe(1);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
