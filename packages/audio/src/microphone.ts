import { createRequire } from 'node:module';
import { AudioError } from './errors.js';
import { RecordingPipeline, type PipelineOptions } from './pipeline.js';
import { captureListeners } from './internal/listeners.js';
import type { AudioSource, Capture, CapturedAudio } from './types.js';

export interface InputDevice {
  /** PortAudio device index, as `--device` takes it. */
  index: number;
  name: string;
  hostApi: string;
  defaultSampleRate: number;
  channels: number;
  isDefault: boolean;
}

export interface MicrophoneLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface MicrophoneOptions extends Omit<
  PipelineOptions,
  'directory' | 'onLevel' | 'onChunk'
> {
  /** Device name (case-insensitive, a unique part is enough) or index; default: the system's default input. */
  device?: string | number;
  /** Device read size. Default 20 ms: small, so stopping loses nothing and costs little. */
  bufferMs?: number;
  logger?: MicrophoneLogger;
}

interface NaudiodonDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}

interface NaudiodonStream {
  on(event: 'data', listener: (chunk: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  removeAllListeners(event: string): void;
  start(): void;
  quit(cb?: () => void): Promise<void>;
  abort(cb?: () => void): void;
}

interface Naudiodon {
  getDevices(): NaudiodonDevice[];
  getHostAPIs(): {
    defaultHostAPI: number;
    HostAPIs: Array<{ id: number; name: string; defaultInput: number }>;
  };
  AudioIO: new (options: object) => NaudiodonStream;
  SampleFormat16Bit: number;
}

let naudiodon: Naudiodon | undefined;

// PortAudio is loaded on first use, so that importing this package (or `whis status`) costs nothing.
function load(): Naudiodon {
  if (naudiodon) return naudiodon;
  try {
    naudiodon = createRequire(import.meta.url)('naudiodon') as Naudiodon;
  } catch (err) {
    throw new AudioError(
      'native-unavailable',
      `The audio library (naudiodon/PortAudio) could not load: ${(err as Error).message}. Reinstall with ./scripts/setup.sh.`,
      { cause: err },
    );
  }
  return naudiodon;
}

/** The input devices PortAudio sees, the default marked. */
export async function listInputDevices(): Promise<InputDevice[]> {
  const lib = load();
  const apis = lib.getHostAPIs();
  const defaultInput = apis.HostAPIs.find((api) => api.id === apis.defaultHostAPI)?.defaultInput;
  return lib
    .getDevices()
    .filter((d) => d.maxInputChannels > 0)
    .map((d) => ({
      index: d.id,
      name: d.name,
      hostApi: d.hostAPIName,
      defaultSampleRate: d.defaultSampleRate,
      channels: d.maxInputChannels,
      isDefault: d.id === defaultInput,
    }));
}

function choose(devices: InputDevice[], wanted: string | number | undefined): InputDevice {
  if (devices.length === 0) {
    throw new AudioError(
      'no-device',
      'No microphone found: PortAudio sees no input device. Plug one in, check that PulseAudio or PipeWire is running, then `whis devices`.',
    );
  }
  if (wanted === undefined || wanted === '') {
    return (
      devices.find((d) => d.isDefault) ?? devices.find((d) => d.name === 'default') ?? devices[0]!
    );
  }
  const asIndex =
    typeof wanted === 'number' ? wanted : /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  if (asIndex !== undefined) {
    const byIndex = devices.find((d) => d.index === asIndex);
    if (byIndex) return byIndex;
  } else {
    const needle = String(wanted).toLowerCase();
    const exact = devices.find((d) => d.name.toLowerCase() === needle);
    if (exact) return exact;
    const partial = devices.filter((d) => d.name.toLowerCase().includes(needle));
    if (partial.length === 1) return partial[0]!;
    if (partial.length > 1) {
      throw new AudioError(
        'device-not-found',
        `"${wanted}" matches several input devices (${partial.map((d) => `${d.index}: ${d.name}`).join(', ')}). Use the index.`,
      );
    }
  }
  throw new AudioError(
    'device-not-found',
    `No input device "${wanted}". \`whis devices\` lists them: ${devices.map((d) => `${d.index}: ${d.name}`).join(', ')}.`,
  );
}

/** Timing facts of a capture, for tests and benchmarks. */
export interface CaptureStats {
  device: string;
  sampleRate: number;
  /** ms from start() to the first frame from the device. */
  firstFrameMs: number | undefined;
}

export interface MicrophoneCapture extends Capture {
  readonly stats: CaptureStats;
}

/** An AudioSource whose captures also report timing facts. */
export interface MicrophoneSource extends AudioSource {
  start(options: { directory: string }): Promise<MicrophoneCapture>;
}

/** An AudioSource on a real microphone through PortAudio. */
export function createMicrophone(options: MicrophoneOptions = {}): MicrophoneSource {
  return {
    async start({ directory }) {
      const lib = load();
      const device = choose(await listInputDevices(), options.device);
      const rate = Math.round(device.defaultSampleRate) || 48_000;
      const channels = Math.min(2, device.channels);
      const frames = Math.round((rate * (options.bufferMs ?? 20)) / 1000);
      const listeners = captureListeners();
      const pipeline = new RecordingPipeline(rate, channels, {
        ...options,
        directory,
        onLevel: listeners.emitLevel,
        onChunk: listeners.emitChunk,
      });
      let stream: NaudiodonStream;
      try {
        stream = new lib.AudioIO({
          inOptions: {
            channelCount: channels,
            sampleFormat: lib.SampleFormat16Bit,
            sampleRate: rate,
            deviceId: device.index,
            closeOnError: false,
            framesPerBuffer: frames,
            highwaterMark: frames * channels * 2,
          },
        });
      } catch (err) {
        const message = (err as Error).message;
        const busy = /busy|unavailable|in use/i.test(message);
        throw new AudioError(
          busy ? 'device-busy' : 'device-failed',
          `Cannot open the microphone "${device.name}": ${message}. ${busy ? 'Another program may be using it; close it or' : 'Check it is connected, or'} choose another with \`whis devices\`.`,
          { cause: err },
        );
      }
      const startedAt = performance.now();
      const stats: CaptureStats = {
        device: device.name,
        sampleRate: rate,
        firstFrameMs: undefined,
      };
      let received = 0;
      let firstFrameAt = 0;
      let ended = false;
      let leftover: Buffer | undefined;
      stream.on('data', (chunk: Buffer) => {
        if (ended) return;
        if (stats.firstFrameMs === undefined) {
          firstFrameAt = performance.now();
          stats.firstFrameMs = firstFrameAt - startedAt;
        }
        let buf = leftover ? Buffer.concat([leftover, chunk]) : chunk;
        const usable = buf.length - (buf.length % (2 * channels));
        leftover = usable < buf.length ? Buffer.from(buf.subarray(usable)) : undefined;
        buf = Buffer.from(buf.subarray(0, usable)); // aligned copy for the Int16Array view
        received += usable / (2 * channels);
        pipeline.push(new Int16Array(buf.buffer, buf.byteOffset, usable / 2));
        if (pipeline.error) fail(pipeline.error);
      });
      const fail = (err: Error) => {
        if (ended) return;
        ended = true;
        const error =
          err instanceof AudioError
            ? err
            : new AudioError(
                'device-lost',
                `The microphone "${device.name}" stopped delivering audio (${err.message}). What was recorded is kept; check the device and \`whis devices\`.`,
                { cause: err },
              );
        options.logger?.warn({ err: error }, 'capture failed');
        listeners.emitError(error);
      };
      stream.on('error', fail);
      try {
        stream.start();
      } catch (err) {
        throw new AudioError(
          'device-failed',
          `Cannot start the microphone "${device.name}": ${(err as Error).message}. Choose another with \`whis devices\`.`,
          { cause: err },
        );
      }
      options.logger?.debug({ device: device.name, rate, channels }, 'capture started');

      const close = async () => {
        ended = true;
        stream.removeAllListeners('data');
        await Promise.race([stream.quit(), new Promise((r) => setTimeout(r, 1000))]);
      };
      let result: Promise<CapturedAudio> | undefined;
      return {
        stats,
        onLevel: listeners.onLevel,
        onChunk: listeners.onChunk,
        onError: listeners.onError,
        stop() {
          result ??= (async () => {
            // the tail: wait (at most 300 ms) until the audio up to this moment has arrived, so the
            // last word before the hotkey is in; the device delivers in 20 ms blocks
            const stopAt = performance.now();
            const deadline = stopAt + 300;
            while (!ended && firstFrameAt > 0 && performance.now() < deadline) {
              const due = ((stopAt - firstFrameAt) / 1000) * rate;
              if (received >= due - frames) break;
              await new Promise((r) => setTimeout(r, 5));
            }
            await close();
            return pipeline.finish();
          })();
          return result;
        },
        async abort() {
          await close();
          pipeline.discard();
        },
      };
    },
  };
}
