import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runChecked, stopChild } from './process.js';

export interface VirtualMicrophone {
  /** Environment for processes that capture (XDG_RUNTIME_DIR, PULSE_SERVER, HOME). */
  env: NodeJS.ProcessEnv;
  /** The PulseAudio server's process (a test may stop it with SIGSTOP to play a hung sound server). */
  serverPid: number;
  /** Plays a WAV file into the microphone and resolves when it has been played. */
  play(wavPath: string): Promise<void>;
  /** Stops the PulseAudio server and feeders this call started. */
  stop(): Promise<void>;
}

/** Resolves once a recorder on `virtmic` gets audio: the sink is running at the feeder's pace. */
async function firstAudio(env: NodeJS.ProcessEnv): Promise<void> {
  const recorder = spawn(
    'parec',
    [
      '-d',
      'virtmic',
      '--format=s16le',
      '--rate=16000',
      '--channels=1',
      '--raw',
      '--latency-msec=20',
    ],
    { env, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the virtual microphone delivered no audio within 5 s')),
        5000,
      );
      recorder.once('error', reject);
      recorder.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    await stopChild(recorder);
  }
}

/**
 * A PulseAudio server of its own (not daemonised: a child we own and stop) with a null sink whose
 * monitor is remapped into a source, `virtmic`, the default input. What `play()` plays into the
 * sink is what a program recording from the default microphone hears.
 */
export async function startVirtualMicrophone(): Promise<VirtualMicrophone> {
  const root = await mkdtemp(join(tmpdir(), 'whis-pulse-'));
  const runtime = join(root, 'run');
  const home = join(root, 'home');
  await mkdir(runtime, { mode: 0o700 });
  await chmod(runtime, 0o700);
  await mkdir(home);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_RUNTIME_DIR: runtime,
    HOME: home,
    PULSE_SERVER: `unix:${join(runtime, 'pulse', 'native')}`,
  };
  const children: ChildProcess[] = [];
  const server = spawn(
    'pulseaudio',
    [
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--system=false',
      '-n',
      '--load=module-native-protocol-unix',
      '--load=module-null-sink sink_name=virtspk rate=16000 channels=1',
      '--load=module-remap-source master=virtspk.monitor source_name=virtmic',
      '--log-target=stderr',
      '--log-level=error',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(server);
  let serverLog = '';
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new Error(
            `pulseaudio could not start: ${err.message}. Install it: apt-get install pulseaudio`,
          ),
        ),
      );
      server.once('exit', (code) =>
        reject(new Error(`pulseaudio exited (${code}): ${serverLog.trim()}`)),
      );
      const deadline = Date.now() + 15_000;
      const poll = async () => {
        const info = await run('pactl', ['info'], { env });
        if (info.code === 0) return resolve();
        if (Date.now() > deadline)
          return reject(new Error(`pulseaudio did not come up: ${serverLog.trim()}`));
        setTimeout(() => void poll(), 100);
      };
      void poll();
    });
    await runChecked('pactl', ['set-default-source', 'virtmic'], { env });
    await runChecked('pactl', ['set-default-sink', 'virtspk'], { env });
    // A steady stream of silence keeps the sink's clock running, as a real microphone's would. Its
    // latency must be small: the null sink renders in blocks as long as the largest latency its
    // streams ask for (2 s by default), and a recorder that connects mid-block gets its first frame
    // only when that block ends, up to 2 s later. A real ALSA or PipeWire source delivers within
    // its period; with 20 ms here the virtual microphone does the same.
    const feeder = spawn(
      'pacat',
      [
        '--playback',
        '-d',
        'virtspk',
        '--format=s16le',
        '--rate=16000',
        '--channels=1',
        '--raw',
        '--latency-msec=20',
        '/dev/zero',
      ],
      {
        env,
        stdio: 'ignore',
      },
    );
    children.push(feeder);
    await firstAudio(env);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    env,
    serverPid: server.pid!,
    play: async (wavPath) => {
      await runChecked('paplay', ['-d', 'virtspk', wavPath], { env });
    },
    stop,
  };
}
