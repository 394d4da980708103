import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runChecked, startVirtualMicrophone, type VirtualMicrophone } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createSandbox, type Sandbox } from './internal/harness.js';

// On a machine where no sound server runs, ALSA and JACK print some 180 lines of complaints as
// PortAudio probes the cards. whis keeps them out of every terminal and pipe, and in the log at
// debug level, where they help.
const CHATTER = /ALSA lib|jack|JackShm|Cannot connect to server|PortAudio V19/i;

let sandbox: Sandbox;
let noSoundServer: string;
beforeAll(async () => {
  // no sound server: no PULSE_SERVER, and a runtime directory with no pulse socket in it
  noSoundServer = await mkdtemp(join(tmpdir(), 'whis-no-sound-'));
  sandbox = await createSandbox({
    OPENAI_API_KEY: 'sk-chatter',
    WHIS_LOG_LEVEL: 'debug',
    PULSE_SERVER: '',
    XDG_RUNTIME_DIR: noSoundServer,
  });
}, 60_000);
afterAll(async () => {
  await sandbox?.cleanup();
  await rm(noSoundServer, { recursive: true, force: true });
});

/** Runs `command` in a tmux server of its own (a real terminal) and returns the screen once `done` shows. */
async function inTerminal(
  command: string[],
  env: NodeJS.ProcessEnv,
  done: RegExp,
): Promise<string> {
  const session = `whis-chatter-${process.pid}-${Date.now()}`;
  const tmux = ['-L', session, '-f', '/dev/null'];
  const line = command.map((a) => `'${a}'`).join(' ');
  const withEnv = { ...env, TMUX: '' };
  await runChecked(
    'tmux',
    [...tmux, 'new-session', '-d', '-s', session, '-x', '200', '-y', '60', `${line}; sleep 30`],
    { env: withEnv },
  );
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const screen = (
        await run('tmux', [...tmux, 'capture-pane', '-p', '-S', '-', '-t', session], {
          env: withEnv,
        })
      ).stdout;
      if (done.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`${done} never showed; the screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await run('tmux', [...tmux, 'kill-server'], { env: withEnv });
  }
}

describe('the audio libraries never print to the user', () => {
  it('whis devices with no sound server: its one line, nothing else', async () => {
    const result = await sandbox.whis(['devices']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      'No input devices. Check that a microphone is connected and PulseAudio or PipeWire runs.\n',
    );
  });

  it('whis devices in a real terminal', async () => {
    const screen = await inTerminal(
      [process.execPath, CLI, 'devices'],
      sandbox.env,
      /No input devices/,
    );
    expect(screen).not.toMatch(CHATTER);
  }, 30_000);

  it('whis setup in a real terminal: the microphone step says what is wrong, and only that', async () => {
    const screen = await inTerminal(
      [
        process.execPath,
        CLI,
        'setup',
        '--mode',
        'file',
        '--provider',
        'openai',
        '--api-key',
        'sk-chatter',
        '--base-url',
        'http://127.0.0.1:9/v1',
        '--model',
        'gpt-transcribe',
      ],
      sandbox.env,
      /No microphone found/,
    );
    expect(screen).not.toMatch(CHATTER);
  }, 30_000);

  it('the service: the libraries’ lines are in the log at debug level, not on its output', async () => {
    const service = sandbox.spawnWhis(['listen', '--no-hotkey']);
    let output = '';
    service.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    service.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const logFile = join(sandbox.env.XDG_STATE_HOME!, 'whis', 'whisd.log');
    try {
      await sandbox.waitForStatus((s) => s.state === 'idle');
      await sandbox.whis(['toggle']);
      await sandbox.waitForStatus((s) => s.state === 'idle' && Boolean(s.lastError));
    } catch (err) {
      // (once, in a whole run under load, this did not end in time): what the service did
      const log = await readFile(logFile, 'utf8').catch(() => '');
      const lines = log.split('\n').filter((l) => l && !l.includes('the audio libraries said'));
      throw new Error(
        `${(err as Error).message}\nthe service's output: ${output.slice(-2000)}\nits log:\n${lines.slice(-30).join('\n')}`,
        { cause: err },
      );
    }
    await sandbox.whis(['stop']);
    await new Promise((r) => service.once('exit', r));
    expect(output).not.toMatch(CHATTER);
    const log = await readFile(logFile, 'utf8');
    const said = log
      .split('\n')
      .filter((line) => line.includes('the audio libraries said'))
      .map((line) => JSON.parse(line) as { level: number; output: string[] });
    expect(said.length).toBeGreaterThan(0);
    expect(said.every((entry) => entry.level === 20)).toBe(true);
    expect(said.flatMap((entry) => entry.output).join('\n')).toMatch(/ALSA lib/);
  }, 60_000);
});

describe('the first dictation after the service starts', () => {
  let mic: VirtualMicrophone;
  let withMic: Sandbox;
  beforeAll(async () => {
    mic = await startVirtualMicrophone();
    withMic = await createSandbox({
      ...mic.env,
      OPENAI_API_KEY: 'sk-first',
      WHIS_LOG_LEVEL: 'debug',
    });
  }, 60_000);
  afterAll(async () => {
    await withMic?.cleanup();
    await mic?.stop();
  });

  it('finds the device list learnt ahead, while the idle service holds no audio library', async () => {
    const { daemon } = await withMic.listen(['--no-hotkey']);
    const log = join(withMic.env.XDG_STATE_HOME!, 'whis', 'whisd.log');
    const deadline = Date.now() + 20_000;
    while (
      !(await readFile(log, 'utf8').catch(() => '')).includes('the device list is learnt ahead')
    ) {
      if (Date.now() > deadline) throw new Error('the device list was never learnt ahead');
      await new Promise((r) => setTimeout(r, 100));
    }
    const maps = await readFile(`/proc/${daemon.pid}/maps`, 'utf8');
    expect(maps).not.toMatch(/naudiodon|libasound/);
    await withMic.whis(['stop']);
  }, 60_000);
});
