// Where recordings come from: one row today, the system's microphone. Loads only the audio library,
// so `whis setup` checks the microphone with this row (`@whis/service/microphones`).
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type Settings } from '@whis/config';
import { createMicrophone, loadSpeechModel } from '@whis/audio';
import type { AudioSource } from '@whis/contracts';
import type { PartContext } from './context.js';
import type { MicrophoneProbe, ProbeMessage, ProbeRequest } from './internal/microphone-probe.js';
import { optional, required, type Check, type Row } from './row.js';

export type { MicrophoneProbe };

/** What `listen` is told: how long, and the peak of each 100 ms as it comes (a level meter). */
export interface ListenOptions {
  ms: number;
  device?: string;
  onLevel?: (peak: number) => void;
}

export interface MicrophoneRow extends Row {
  create(context: PartContext, device?: string): AudioSource;
  /** Records `ms` in a child process and throws nothing: whether audio came, from where, how loud. */
  listen(options: ListenOptions): Promise<MicrophoneProbe>;
}

const CHILD = fileURLToPath(new URL('./internal/microphone-probe.js', import.meta.url));

// PortAudio prints on stdout when it opens a device: the child's stdout is discarded
function listen(options: ListenOptions): Promise<MicrophoneProbe> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let answer: MicrophoneProbe | undefined;
    child.on('message', (m: ProbeMessage) => {
      if ('level' in m) options.onLevel?.(m.level);
      else answer = m.result;
    });
    child.send({
      ms: options.ms,
      ...(options.device ? { device: options.device } : {}),
    } satisfies ProbeRequest);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.ms + 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        answer ?? {
          ok: false,
          code: 'native-unavailable',
          message: `the microphone check ended without an answer (${code ?? signal}): ${stderr.trim().split('\n').pop() ?? ''}`,
        },
      );
    });
  });
}

// Silero VAD, loaded as the service loads it after a first recording (its model checked first).
async function probeSpeechDetection(settings: Settings): Promise<Check> {
  const name = 'Speech detection';
  if (settings.speechDetection === false)
    return optional({
      name,
      ok: true,
      detail: 'off (speechDetection false): loudness and the list of silence hallucinations decide',
    });
  try {
    await loadSpeechModel();
    return optional({ name, ok: true, detail: 'Silero VAD loads (sherpa-onnx)' });
  } catch (err) {
    return optional({
      name,
      ok: false,
      detail: (err as Error).message,
      fix: 'Reinstall whis (./scripts/setup.sh, or npm ci); until then short replies such as "thank you" may be dropped and noise sent.',
    });
  }
}

async function probe({ settings }: { settings: Settings }): Promise<Check[]> {
  const [result, speech] = await Promise.all([
    listen({ ms: 1000, ...(settings.device ? { device: settings.device } : {}) }),
    probeSpeechDetection(settings),
  ]);
  const native = result.code === 'native-unavailable';
  const library = required({
    name: 'Audio library',
    ok: !native,
    detail: native ? (result.message ?? '') : 'naudiodon (PortAudio) loads',
    ...(native
      ? { fix: 'Rebuild the native addons: ./scripts/setup.sh (or npm rebuild naudiodon).' }
      : {}),
  });
  const microphone = result.ok
    ? required({
        name: 'Microphone',
        ok: true,
        detail: `"${result.device}" delivers audio (first frame after ${Math.round(result.firstFrameMs ?? 0)} ms, peak level ${(result.peak ?? 0).toFixed(3)})`,
      })
    : required({
        name: 'Microphone',
        ok: false,
        detail: result.message ?? 'no audio arrived within a second',
        fix:
          result.code === 'device-not-found'
            ? '`whis devices` lists the microphones; `whis config set device <index or name>`.'
            : 'Check that PulseAudio or PipeWire runs (`pactl info`) and a microphone is connected; `whis devices` lists what is seen.',
      });
  return [library, microphone, speech];
}

/** Where recordings come from. One row today: the system's microphone (PortAudio). */
export const MICROPHONES = {
  microphone: {
    summary: 'the microphone, through PortAudio (naudiodon)',
    create: ({ settings, logger }: PartContext, device = settings.device): AudioSource =>
      createMicrophone({
        device,
        ...(settings.segmentSeconds ? { cutAtPauseMs: settings.segmentSeconds * 1000 } : {}),
        keepOpen: settings.keepMicrophoneOpen ?? false,
        detectSpeech: settings.speechDetection ?? true,
        logger: logger.child({ component: 'audio' }),
        // beside the service's log (never the folder the user started whis in)
        nativeCrashLog: join(resolvePaths().stateDir, 'native-crash.log'),
      }),
    describe: (settings) => settings.device ?? 'the system default',
    problems: () => [],
    probe,
    listen,
  },
} satisfies Record<string, MicrophoneRow>;

/** The microphone in force: the only row until a setting chooses among several. */
export const microphoneFor = (): MicrophoneRow => MICROPHONES.microphone;
