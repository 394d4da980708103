import { chmod, chown, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startSway,
  startTranscriptionServer,
  synthesize,
  type TranscriptionServer,
  type WaylandSession,
} from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './internal/harness.js';

// A real headless sway, as an unprivileged user (sway refuses root), with that user's own virtual
// microphone and a local transcription server: `whis setup` writes its bindings into sway's
// configuration, sway reloads it, and keys typed into sway through its virtual-keyboard protocol
// (wtype) run the bound `whis start` / `whis finish` / `whis toggle` against the real service.

const PHRASE = 'one two three';
let session: WaylandSession;
let server: TranscriptionServer;
let wav: string;
let pulsePid: number | undefined;
let feederPid: number | undefined;

const t0 = Date.now();
const step = (what: string) => process.stderr.write(`[sway test +${Date.now() - t0} ms] ${what}\n`);
const as = async (command: string, args: string[]) => {
  const result = await session.run(command, args);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
  return result.stdout;
};
const whis = (args: string[]) => session.run(process.execPath, [CLI, ...args]);

interface Status {
  state: string;
  running: boolean;
}
async function status(): Promise<Status> {
  return JSON.parse((await whis(['status', '--json'])).stdout) as Status;
}
async function waitForState(state: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await status();
    if (current.state === state) return;
    if (Date.now() > deadline)
      throw new Error(`waited for ${state}; last ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function lastTranscripts(): Promise<string[]> {
  const out = (await whis(['last', '--json', '-n', '10'])).stdout;
  return (JSON.parse(out || '[]') as Array<{ text: string }>).map((t) => t.text);
}
async function waitForTranscripts(count: number, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const texts = await lastTranscripts();
    if (texts.length >= count) return texts;
    if (Date.now() > deadline)
      throw new Error(
        `${texts.length} transcripts, expected ${count}; status: ${(await whis(['status', '--json'])).stdout}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  session = await startSway();
  server = await startTranscriptionServer();
  wav = join(session.shared, 'phrase.wav');
  await synthesize(PHRASE, wav);
  const owner = await stat(session.configFile);
  await chown(wav, owner.uid, owner.gid);
  // the user's own PulseAudio with a null sink whose monitor is the default microphone, fed
  // silence so that time flows (see TESTING.md)
  const script = join(session.shared, 'mic.sh');
  await writeFile(
    script,
    `set -e
pulseaudio -D -n --exit-idle-time=-1 --system=false --load=module-native-protocol-unix \
  --load='module-null-sink sink_name=virtspk rate=16000 channels=1' \
  --load='module-remap-source master=virtspk.monitor source_name=virtmic' --log-target=stderr 2>/dev/null
until pactl info >/dev/null 2>&1; do sleep 0.1; done
pactl set-default-source virtmic
pactl set-default-sink virtspk
pacat --playback --latency-msec=20 -d virtspk --format=s16le --rate=16000 --channels=1 --raw /dev/zero </dev/null >/dev/null 2>&1 &
echo "$!"
cat "$XDG_RUNTIME_DIR/pulse/pid"
`,
  );
  await chmod(script, 0o755);
  const [feeder, pulse] = (await as('sh', [script])).trim().split('\n').map(Number);
  feederPid = feeder;
  pulsePid = pulse;
}, 60_000);

afterAll(async () => {
  await whis(['stop']).catch(() => undefined);
  for (const pid of [feederPid, pulsePid]) {
    try {
      if (pid) process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await server?.close();
  await session?.stop();
});

describe('the sway bindings `whis setup` writes, in a real sway', () => {
  it('push-to-talk: hold the key to record, release to transcribe; then toggle after a re-run', async () => {
    // an existing configuration of the user's own stays as it was, around the block
    const before = await readFile(session.configFile, 'utf8');
    expect((await whis(['config', 'set', 'pushToTalk', 'true'])).code).toBe(0);
    const doctorBefore = JSON.parse((await whis(['doctor', '--json'])).stdout) as {
      checks: Array<{ name: string; ok: boolean; fix?: string }>;
    };
    expect(doctorBefore.checks.find((c) => c.name === 'sway bindings')).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/whis setup --bindings write/),
    });

    step('const setup = await whis([');
    const setup = await whis([
      'setup',
      '--yes',
      '--no-test',
      '--api-key',
      'sk-sway',
      '--base-url',
      server.baseURL,
      '--hotkey',
      'ctrl+shift+r',
      '--bindings',
      'write',
    ]);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain(`Wrote the sway bindings (hold ctrl+shift+r to record`);
    const config = await readFile(session.configFile, 'utf8');
    expect(config.startsWith(before)).toBe(true);
    expect(config).toContain(
      `bindsym --no-repeat Ctrl+Shift+r exec ${process.execPath} ${CLI} start\n` +
        `bindsym --release Ctrl+Shift+r exec ${process.execPath} ${CLI} finish\n`,
    );
    expect(await readFile(`${session.configFile}.whis-backup`, 'utf8')).toBe(before);
    step("await as('swaymsg', ['reload']);");
    await as('swaymsg', ['reload']);
    const doctor = JSON.parse((await whis(['doctor', '--json'])).stdout) as {
      checks: Array<{ name: string; ok: boolean }>;
    };
    expect(doctor.checks.find((c) => c.name === 'sway bindings')).toMatchObject({ ok: true });

    step("const listen = await whis(['listen', '--");
    const listen = await whis(['listen', '--detach']);
    expect(listen.code, listen.stderr).toBe(0);
    await waitForState('idle');

    // the key goes down (ctrl+shift+r), stays down while the phrase is spoken, and comes up
    step("const held = session.run('wtype', [");
    const held = session.run('wtype', [
      '-M',
      'ctrl',
      '-M',
      'shift',
      '-P',
      'r',
      '-s',
      '15000',
      '-p',
      'r',
      '-m',
      'shift',
      '-m',
      'ctrl',
    ]);
    await waitForState('recording');
    step("await as('paplay', ['-d', 'virtspk', wav");
    await as('paplay', ['-d', 'virtspk', wav]);
    expect((await status()).state).toBe('recording');
    expect((await held).code).toBe(0);
    step('expect(await waitForTranscripts(1)).toEq');
    expect(await waitForTranscripts(1)).toEqual([PHRASE]);

    // toggle: a re-run of setup replaces the block (one block, the new line)
    expect((await whis(['config', 'set', 'pushToTalk', 'false'])).code).toBe(0);
    step('const again = await whis(');
    const again = await whis(['setup', '--yes', '--no-test', '--bindings', 'write']);
    expect(again.code, again.stderr).toBe(0);
    const replaced = await readFile(session.configFile, 'utf8');
    expect(replaced.match(/>>> whis/g)).toHaveLength(1);
    expect(replaced).toContain(
      `bindsym --no-repeat Ctrl+Shift+r exec ${process.execPath} ${CLI} toggle\n`,
    );
    expect(replaced).not.toContain('--release');
    step("await as('swaymsg', ['reload']);");
    await as('swaymsg', ['reload']);
    const tap = () =>
      as('wtype', ['-M', 'ctrl', '-M', 'shift', '-k', 'r', '-m', 'shift', '-m', 'ctrl']);
    step('await tap();');
    await tap();
    await waitForState('recording');
    step("await as('paplay', ['-d', 'virtspk', wav");
    await as('paplay', ['-d', 'virtspk', wav]);
    // paplay returns once the sound server has the samples: the last word is heard a moment later
    await new Promise((r) => setTimeout(r, 3000));
    step('await tap();');
    await tap();
    step('expect(await waitForTranscripts(2))');
    expect(await waitForTranscripts(2)).toEqual([PHRASE, PHRASE]);
  }, 300_000);
});
