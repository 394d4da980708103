import { RecordingPipeline, type PipelineOptions } from './pipeline.js';
import { captureListeners } from './internal/listeners.js';
import { startCueStep } from './internal/start-cue.js';
import type { AudioSource, Capture, CapturedAudio, CaptureOptions } from './types.js';

export interface PcmSourceOptions extends Omit<
  PipelineOptions,
  'directory' | 'onLevel' | 'onChunk' | 'onPcm'
> {
  /** Opens the PCM to record: interleaved signed 16-bit little-endian. */
  open: () => AsyncIterable<Buffer> | NodeJS.ReadableStream;
  sampleRate: number;
  channels: number;
}

export interface PcmSource extends AudioSource {
  start(options: CaptureOptions): Promise<Capture & { drained: Promise<void> }>;
}

/**
 * An AudioSource fed from a stream instead of a device (a file, a pipe, a generator): the same
 * pipeline as the microphone, as fast as the stream delivers. For tests, benchmarks and
 * `whis transcribe` of raw audio.
 */
export function createPcmSource(options: PcmSourceOptions): PcmSource {
  return {
    async start({ directory, onPcm, segmentMs, startCue }) {
      const listeners = captureListeners();
      const pipeline = new RecordingPipeline(options.sampleRate, options.channels, {
        ...options,
        directory,
        onLevel: listeners.emitLevel,
        onChunk: listeners.emitChunk,
        onPcm,
        ...(segmentMs ? { maxChunkMs: segmentMs } : {}),
      });
      const cue = startCueStep(startCue, options.sampleRate, options.channels);
      let stopped = false;
      let leftover: Buffer | undefined;
      const frameBytes = 2 * options.channels;
      const drained = (async () => {
        // the caller subscribes (levels, chunks) once start() resolves: the audio flows after that
        await new Promise((resolve) => setImmediate(resolve));
        for await (const raw of options.open() as AsyncIterable<Buffer>) {
          if (stopped) break;
          const data = leftover ? Buffer.concat([leftover, raw]) : raw;
          const usable = data.length - (data.length % frameBytes);
          leftover = usable < data.length ? Buffer.from(data.subarray(usable)) : undefined;
          const aligned = Buffer.from(data.subarray(0, usable));
          pipeline.push(cue(new Int16Array(aligned.buffer, aligned.byteOffset, usable / 2)));
          if (pipeline.error) {
            listeners.emitError(pipeline.error);
            break;
          }
        }
      })();
      let result: Promise<CapturedAudio> | undefined;
      return {
        drained,
        onLevel: listeners.onLevel,
        onChunk: listeners.onChunk,
        onError: listeners.onError,
        stop() {
          result ??= (async () => {
            stopped = true;
            await drained.catch(() => undefined);
            await pipeline.prepareSpeech();
            return pipeline.finish();
          })();
          return result;
        },
        async abort() {
          stopped = true;
          await drained.catch(() => undefined);
          pipeline.discard();
        },
      };
    },
  };
}
