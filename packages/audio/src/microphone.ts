import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioError, type AudioErrorCode } from './errors.js';
import { RecordingPipeline, type PipelineOptions } from './pipeline.js';
import { captureListeners } from './internal/listeners.js';
import { startCueStep } from './internal/start-cue.js';
import {
  DeviceStream,
  portAudioSettled,
  TEARDOWN_LIMIT_MS,
  type NaudiodonStream,
} from './internal/device-stream.js';
import { captureNativeOutput } from './internal/native-output.js';
import { deadline, untilAborted, type Logger } from '@whis/contracts';
import type { AudioSource, Capture, CapturedAudio, CaptureOptions } from './types.js';

export interface InputDevice {
  /** PortAudio device index, as `--device` takes it. */
  index: number;
  name: string;
  hostApi: string;
  defaultSampleRate: number;
  channels: number;
  isDefault: boolean;
}

/** The part of the shared Logger (pino-compatible) the microphone uses. */
export type MicrophoneLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface MicrophoneOptions extends Omit<
  PipelineOptions,
  'directory' | 'onLevel' | 'onChunk' | 'onPcm'
> {
  /** Device name (case-insensitive, a unique part is enough) or index; default: the system's default input. */
  device?: string | number;
  /** Device read size. Default 20 ms: small, so stopping loses nothing and costs little. */
  bufferMs?: number;
  /**
   * Keep the microphone open between recordings, and begin each recording with the audio of the
   * `preRollMs` before it: the first word is kept even on a device that takes a second to start
   * (a Bluetooth headset switching profile). The desktop shows the microphone as in use while the
   * source is prepared. Default false: the device is opened for each recording.
   */
  keepOpen?: boolean;
  /** With `keepOpen`, how much audio from before `start()` each recording begins with. Default 500 ms. */
  preRollMs?: number;
  /**
   * How long `start()` waits for the device's first audio before it resolves anyway (with a
   * warning in the log). Default 5 s (well inside the 15 s a `whis toggle` waits for its answer).
   */
  startLimitMs?: number;
  /**
   * The file a crash in the native audio libraries writes its stack trace to, for the whole process
   * (the latest microphone's wins); at most 127 bytes. Default: `whis-native-crash-<uid>.log` in the
   * temporary directory. (naudiodon's own handler writes `crash.log` into the working directory.)
   */
  nativeCrashLog?: string;
  logger?: MicrophoneLogger;
}

interface NaudiodonDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
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

/** How long `start()` waits for a device's first audio, unless told (`startLimitMs`). */
const START_LIMIT_MS = 5000;

let naudiodon: Naudiodon | undefined;
let crashLog: string | undefined;
/** The longest path naudiodon's crash handler keeps (it cuts longer ones). */
const MAX_CRASH_LOG_BYTES = 127;
/** How the crash log's path reaches the device lister's process. */
const CRASH_LOG_ENV = 'WHIS_NATIVE_CRASH_LOG';

function crashLogPath(): string {
  const chosen = crashLog ?? process.env[CRASH_LOG_ENV];
  if (chosen && Buffer.byteLength(chosen) <= MAX_CRASH_LOG_BYTES) return chosen;
  return join(tmpdir(), `whis-native-crash-${process.getuid?.() ?? 0}.log`);
}

/**
 * Points the SIGSEGV handler naudiodon installs as it loads at `crashLogPath()`: it writes
 * `crash.log` into the working directory otherwise (any folder the user started whis in).
 */
function redirectCrashLog(): void {
  const fromNaudiodon = createRequire(createRequire(import.meta.url).resolve('naudiodon'));
  const handler = fromNaudiodon('segfault-handler') as { registerHandler(path: string): void };
  handler.registerHandler(crashLogPath());
}

function useCrashLog(path: string | undefined): void {
  if (path === undefined || path === crashLog) return;
  crashLog = path;
  if (naudiodon) redirectCrashLog();
}

// PortAudio is loaded on first use, so that importing this package (or `whis status`) costs nothing.
function load(): Naudiodon {
  if (naudiodon) return naudiodon;
  try {
    naudiodon = createRequire(import.meta.url)('naudiodon') as Naudiodon;
    redirectCrashLog();
  } catch (err) {
    throw new AudioError(
      'native-unavailable',
      `The audio library (naudiodon/PortAudio) could not load: ${(err as Error).message}. Reinstall with ./scripts/setup.sh.`,
      { cause: err },
    );
  }
  return naudiodon;
}

/**
 * PortAudio's default input (naudiodon opens it for index -1), at the rate the device list would
 * most often give a sound server's `default` (which converts any rate it is asked for).
 */
const DEFAULT_INPUT: InputDevice = {
  index: -1,
  name: 'default',
  hostApi: '',
  defaultSampleRate: 48_000,
  channels: 1,
  isDefault: true,
};

/**
 * Waits for an earlier stream's PortAudio teardown (see `portAudioSettled`); one that never ends is
 * a clear error, not a recording that never starts.
 */
async function settledOrFail(): Promise<void> {
  if (await portAudioSettled()) return;
  throw new AudioError(
    'device-busy',
    `The previous recording's microphone has not closed after ${TEARDOWN_LIMIT_MS / 1000} s: the sound system is stuck. Restart whis (\`whis stop\`, then \`whis listen\`); if it happens again, restart PulseAudio or PipeWire.`,
  );
}

/** The speech detector's failure to load is logged once per process. */
let vadWarned = false;

/** The device list the last lookup found: a recording opens its device without enumerating again. */
let knownDevices: InputDevice[] | undefined;

/** What the device lister sends its parent (`internal/device-list-process.ts`). */
export type DeviceListMessage =
  { devices: InputDevice[] } | { error: { code: AudioErrorCode; message: string } };

/** What the native libraries printed, at debug level (its last 200 lines); nothing when nothing. */
function logNative(
  logger: Pick<MicrophoneLogger, 'debug'> | undefined,
  what: string,
  output: string,
): void {
  if (output.trim() === '') return;
  logger?.debug(
    { output: output.trimEnd().split('\n').slice(-200) },
    `${what}: the audio libraries said`,
  );
}

/** Runs a call into PortAudio; what the native libraries print goes to the debug log. */
function quietly<T>(
  what: string,
  logger: Pick<MicrophoneLogger, 'debug'> | undefined,
  fn: () => T,
): T {
  const { value, output } = captureNativeOutput(fn);
  logNative(logger, what, output);
  return value;
}

// Beside this module once built; from the sources (tests), the built copy.
const BUILT_LISTER = fileURLToPath(new URL('./internal/device-list-process.js', import.meta.url));
const LISTER = existsSync(BUILT_LISTER)
  ? BUILT_LISTER
  : fileURLToPath(new URL('../dist/internal/device-list-process.js', import.meta.url));

/**
 * The input devices PortAudio sees, the default marked, listed in a child process: the caller never
 * loads PortAudio (it stays loaded once it has enumerated: about 8 MB), a crash in a sound driver
 * cannot end it, and what ALSA and JACK print meanwhile (178 lines of it on a machine with no sound
 * server) stays in the child's pipes, handed to `logger` at debug level, never to a terminal.
 */
export function listInputDevices(
  options: { logger?: Pick<MicrophoneLogger, 'debug'>; timeoutMs?: number } = {},
): Promise<InputDevice[]> {
  const { logger } = options;
  return new Promise((resolve, reject) => {
    // none of this process's flags (a test runner's loaders, an inspector): a plain Node
    const child = fork(LISTER, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      env: { ...process.env, [CRASH_LOG_ENV]: crashLogPath() },
    });
    // PortAudio can hang on a broken sound server (JACK waiting for its server): give up in time
    const limit = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    let said = '';
    const keep = (d: Buffer) => (said = (said + d.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let answer: DeviceListMessage | undefined;
    child.on('message', (message: DeviceListMessage) => (answer = message));
    child.once('error', (err) => {
      clearTimeout(limit);
      reject(
        new AudioError('native-unavailable', `Cannot list the microphones: ${err.message}.`, {
          cause: err,
        }),
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      logNative(logger, 'listing the devices', said);
      if (answer && 'devices' in answer) {
        knownDevices = answer.devices;
        return resolve(answer.devices);
      }
      if (answer) return reject(new AudioError(answer.error.code, answer.error.message));
      // Node ends an uncaught error's report with its own version: the line before says what
      const why = said
        .trim()
        .split('\n')
        .filter((line) => line.trim() !== '' && !/^Node\.js v/.test(line))
        .pop();
      reject(
        new AudioError(
          'native-unavailable',
          `Listing the microphones failed (${signal ?? `exit ${code}`}${why ? `: ${why}` : ''}). Check that PulseAudio or PipeWire runs, then \`whis doctor\`.`,
        ),
      );
    });
  });
}

/** Lists the devices in this process: the device lister's own work (see `listInputDevices`). */
export function listInputDevicesHere(logger?: Pick<MicrophoneLogger, 'debug'>): InputDevice[] {
  return enumerate(logger);
}

// Each enumeration initialises PortAudio and probes every ALSA card: about 150 ms, too long to sit
// between a hotkey and the first sample. So a recording uses the list found before (at `prepare()`
// or by the previous recording) and the list is refreshed after the device is closed, off the path.
function enumerate(logger?: Pick<MicrophoneLogger, 'debug'>): InputDevice[] {
  const begin = performance.now();
  const lib = load();
  const { apis, all } = quietly('listing the devices', logger, () => ({
    apis: lib.getHostAPIs(),
    all: lib.getDevices(),
  }));
  logger?.debug(
    { devices: all.length, ms: Math.round(performance.now() - begin) },
    'input devices listed',
  );
  const defaultInput = apis.HostAPIs.find((api) => api.id === apis.defaultHostAPI)?.defaultInput;
  return all
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

function openError(device: InputDevice, err: unknown): AudioError {
  const message = (err as Error).message;
  const busy = /busy|unavailable|in use/i.test(message);
  return new AudioError(
    busy ? 'device-busy' : 'device-failed',
    `Cannot open the microphone "${device.name}": ${message}. ${busy ? 'Another program may be using it; close it or' : 'Check it is connected, or'} choose another with \`whis devices\`.`,
    { cause: err },
  );
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
  /** ms from opening the device to its first frame (with `keepOpen`, of the stream kept open). */
  firstFrameMs: number | undefined;
  /** ms from `start()` until the first sample of the recording was captured: negative with a pre-roll. */
  startLagMs: number | undefined;
  /** ms `stop()` waited for the audio up to its instant, and whether all of it came within the bound. */
  tailWaitMs: number | undefined;
  tailComplete: boolean | undefined;
}

export interface MicrophoneCapture extends Capture {
  readonly stats: CaptureStats;
}

/** An AudioSource whose captures also report timing facts. */
export interface MicrophoneSource extends AudioSource {
  start(options: CaptureOptions): Promise<MicrophoneCapture>;
  /** With `keepOpen`, opens the microphone ahead of the first recording; otherwise does nothing. */
  prepare(): Promise<void>;
  /** Closes a microphone kept open (a recording in progress is finished first by its owner). */
  close(): Promise<void>;
}

interface OpenedStream {
  stream: DeviceStream;
  device: InputDevice;
  /**
   * Where the frames go: the recording's pipeline, or the pre-roll ring between recordings. A new
   * target first gets the ring's audio; returns how many ms that was.
   */
  route(target: ((pcm: Int16Array) => void) | undefined): number;
  onError(listener: ((err: Error) => void) | undefined): void;
}

/** An AudioSource on a real microphone through PortAudio. */
export function createMicrophone(options: MicrophoneOptions = {}): MicrophoneSource {
  useCrashLog(options.nativeCrashLog);
  const keepOpen = options.keepOpen ?? false;
  const preRollMs = keepOpen ? (options.preRollMs ?? 500) : 0;
  let kept: OpenedStream | undefined;
  let opening: Promise<OpenedStream> | undefined;
  let refresh: NodeJS.Timeout | undefined;

  // With no list learnt yet (a key pressed before the service's listing is done; the one-shot
  // `whis`), the default input is opened as PortAudio's own default, not looked up: the listing
  // (150 ms, 300 ms on a loaded machine) would stand between the key and the first word. The list
  // is learnt after the recording, or at once if that device cannot be opened.
  const devices = (): InputDevice[] =>
    knownDevices ??
    (options.device === undefined || options.device === ''
      ? [DEFAULT_INPUT]
      : (knownDevices = enumerate(options.logger)));
  const refreshLater = () => {
    clearTimeout(refresh);
    refresh = setTimeout(() => {
      void portAudioSettled().then((settled) => {
        // still tearing down: the next recording lists the devices
        if (!settled) return;
        try {
          knownDevices = enumerate(options.logger);
        } catch {
          // the next recording enumerates again, and reports what is wrong
        }
      });
    }, 250);
    refresh.unref();
  };

  function open(): OpenedStream {
    const lib = load();
    let device = choose(devices(), options.device);
    const attempt = () => {
      const rate = Math.round(device.defaultSampleRate) || 48_000;
      const channels = Math.min(2, device.channels);
      const frames = Math.round((rate * (options.bufferMs ?? 20)) / 1000);
      // PortAudio prints the stream's options on stdout as it opens it
      const io = quietly(
        'opening the microphone',
        options.logger,
        () =>
          new lib.AudioIO({
            inOptions: {
              channelCount: channels,
              sampleFormat: lib.SampleFormat16Bit,
              sampleRate: rate,
              deviceId: device.index,
              closeOnError: false,
              framesPerBuffer: frames,
              highwaterMark: frames * channels * 2,
            },
          }),
      );
      return { io, rate, channels, frames };
    };
    let made: ReturnType<typeof attempt>;
    try {
      made = attempt();
    } catch (err) {
      // the list may be out of date (a device plugged in or out since): look again, once
      knownDevices = enumerate(options.logger);
      const again = choose(knownDevices, options.device);
      if (again.index === device.index && again.name === device.name) throw openError(device, err);
      device = again;
      try {
        made = attempt();
      } catch (retried) {
        throw openError(device, retried);
      }
    }
    let target: ((pcm: Int16Array) => void) | undefined;
    let errorListener: ((err: Error) => void) | undefined;
    const ring: Int16Array[] = [];
    let ringSamples = 0;
    const ringLimit = Math.round((preRollMs / 1000) * made.rate) * made.channels;
    const stream = new DeviceStream(
      made.io as NaudiodonStream,
      made.rate,
      made.channels,
      made.frames,
      (pcm) => {
        if (target) return target(pcm);
        if (ringLimit === 0) return;
        ring.push(pcm);
        ringSamples += pcm.length;
        while (ring.length > 1 && ringSamples - ring[0]!.length >= ringLimit)
          ringSamples -= ring.shift()!.length;
      },
      (err) => {
        if (errorListener) errorListener(err);
        else
          options.logger?.warn(
            { err },
            'the microphone kept open failed; it reopens for the next recording',
          );
        if (kept?.stream === stream) kept = undefined;
        void stream.close();
      },
    );
    try {
      quietly('starting the microphone', options.logger, () => made.io.start());
    } catch (err) {
      void stream.close();
      throw new AudioError(
        'device-failed',
        `Cannot start the microphone "${device.name}": ${(err as Error).message}. Choose another with \`whis devices\`.`,
        { cause: err },
      );
    }
    options.logger?.debug(
      { device: device.name, rate: made.rate, channels: made.channels, keepOpen },
      'microphone opened',
    );
    return {
      stream,
      device,
      route(next) {
        const replayed = next ? ringSamples / made.channels : 0;
        if (next) for (const pcm of ring.splice(0)) next(pcm);
        ringSamples = 0;
        target = next;
        return (replayed / made.rate) * 1000;
      },
      onError(listener) {
        errorListener = listener;
      },
    };
  }

  async function openKept(): Promise<OpenedStream> {
    if (kept && !kept.stream.isClosed) return kept;
    opening ??= (async () => {
      try {
        await settledOrFail();
        kept = open();
        return kept;
      } finally {
        opening = undefined;
      }
    })();
    return opening;
  }

  return {
    // Opened per recording: an idle service stays without PortAudio (about 9 MB). The device list
    // is learnt ahead in a child process, so the first recording opens its device as quickly as
    // the later ones; each recording refreshes the list after its device is closed.
    async prepare() {
      if (keepOpen) await openKept();
      else if (knownDevices === undefined) {
        // ahead of the first recording, so that it opens its device without enumerating
        const devices = await listInputDevices({ logger: options.logger }).catch(() => undefined);
        if (devices)
          options.logger?.debug({ devices: devices.length }, 'the device list is learnt ahead');
      }
    },

    async close() {
      clearTimeout(refresh);
      const stream = kept?.stream;
      kept = undefined;
      await stream?.close();
    },

    async start({ directory, onPcm, segmentMs, startCue }) {
      const startedAt = performance.now();
      // an earlier stream's teardown still running (a loaded machine) is let finish first
      const opened = keepOpen ? await openKept() : (await settledOrFail(), open());
      const { stream, device } = opened;
      // how long this process's main thread went without running, while it recorded (in the log:
      // a capture that misses audio on a loaded machine says whether this process was starved)
      const loopDelay = monitorEventLoopDelay({ resolution: 20 });
      loopDelay.enable();
      const listeners = captureListeners();
      const pipeline = new RecordingPipeline(stream.rate, stream.channels, {
        ...options,
        directory,
        onLevel: listeners.emitLevel,
        onChunk: listeners.emitChunk,
        onPcm,
        ...(segmentMs ? { maxChunkMs: segmentMs } : {}),
      });
      const stats: CaptureStats = {
        device: device.name,
        sampleRate: stream.rate,
        firstFrameMs: undefined,
        startLagMs: undefined,
        tailWaitMs: undefined,
        tailComplete: undefined,
      };
      let ended = false;
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
      // start() resolves once the device delivers (or fails): "recording" is then true, and what
      // is said after it is heard. A device slow to start (a sound server starved on a loaded
      // machine) is waited for up to `startLimitMs`; its audio is kept from its first frame either way.
      let firstIn!: () => void;
      const firstFrame = new Promise<void>((resolve) => (firstIn = resolve));
      opened.onError((err) => {
        firstIn();
        fail(err);
      });
      // the start cue plays once the first block is in, and is filtered out of what is recorded
      const cue = startCueStep(startCue, stream.rate, stream.channels, (at) => stream.waitFor(at));
      const preRolledMs = opened.route((pcm) => {
        if (ended) return;
        firstIn();
        if (stats.startLagMs === undefined) {
          stats.firstFrameMs = stream.firstFrameMs;
          // the first sample of this recording was captured about one read before it arrived
          const readMs = (pcm.length / stream.channels / stream.rate) * 1000;
          stats.startLagMs = performance.now() - readMs - startedAt;
        }
        pipeline.push(cue(pcm));
        if (pipeline.error) fail(pipeline.error);
      });
      if (preRolledMs > 0) {
        // the pre-roll went through the same function first: the recording began this long before
        stats.startLagMs = -preRolledMs;
      }

      const limitMs = options.startLimitMs ?? START_LIMIT_MS;
      await untilAborted(firstFrame, deadline(limitMs)).catch(() =>
        options.logger?.warn(
          { device: device.name },
          `the microphone delivered no audio within ${limitMs / 1000} s of its start; recording anyway (what it delivers later is kept)`,
        ),
      );

      const release = async () => {
        ended = true;
        loopDelay.disable();
        opened.route(undefined);
        opened.onError(undefined);
        if (!keepOpen) {
          await stream.close();
          refreshLater();
        }
      };
      let result: Promise<CapturedAudio> | undefined;
      return {
        stats,
        onLevel: listeners.onLevel,
        onChunk: listeners.onChunk,
        onError: listeners.onError,
        stop() {
          result ??= (async () => {
            // the tail: the audio up to this instant is still on its way from the device; wait for
            // it by the stream's own sample clock, so the last word before the hotkey is in
            const stopAt = performance.now();
            const tail = await stream.waitFor(stopAt);
            stats.tailWaitMs = tail.waitedMs;
            stats.tailComplete = tail.complete;
            const wall = (at: number) => Math.round((performance.timeOrigin + at) * 10) / 10;
            const delivered = stream.delivered;
            options.logger?.info(
              {
                startedAt: wall(startedAt),
                // the audio the device handed over: as much as the stream has run, when complete
                deliveredMs: Math.round(delivered.audioMs),
                streamFrom: delivered.epoch === undefined ? null : wall(delivered.epoch),
                lastFrameAt:
                  delivered.lastFrameAt === undefined ? null : wall(delivered.lastFrameAt),
                firstSampleAt:
                  stats.startLagMs === undefined ? null : wall(startedAt + stats.startLagMs),
                stopAt: wall(stopAt),
                tailInAt: wall(stopAt + tail.waitedMs),
                tailComplete: tail.complete,
                firstFrameMs: stats.firstFrameMs,
                longestStallMs: Math.round(loopDelay.max / 1e6),
              },
              'capture timing',
            );
            if (!tail.complete)
              options.logger?.warn(
                { waitedMs: Math.round(tail.waitedMs), device: device.name },
                'the microphone fell behind: the end of the recording may be cut',
              );
            await release();
            // the first recording loads the speech detector here, with the device closed (or
            // its frames going to the ring): the load cannot make the capture miss audio
            const vadFailure = await pipeline.prepareSpeech();
            if (vadFailure && !vadWarned) {
              vadWarned = true;
              options.logger?.warn({ err: vadFailure }, vadFailure.message);
            }
            return pipeline.finish();
          })();
          return result;
        },
        async abort() {
          await release();
          pipeline.discard();
        },
      };
    },
  };
}
