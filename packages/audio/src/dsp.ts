/** The format speech models want, and what whis records: 16 kHz, mono, 16-bit. */
export const TARGET_RATE = 16_000;

/** Averages interleaved 16-bit channels into one float channel in -1..1. */
export function downmix(interleaved: Int16Array, channels: number): Float32Array {
  const frames = Math.floor(interleaved.length / channels);
  const out = new Float32Array(frames);
  const scale = 1 / (32768 * channels);
  for (let f = 0, i = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i++]!;
    out[f] = sum * scale;
  }
  return out;
}

/** Float -1..1 to 16-bit with clipping. */
export function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    out[i] = s >= 1 ? 32767 : s <= -1 ? -32768 : Math.round(s * 32767);
  }
  return out;
}

/** Root mean square and peak of a block, 0..1 of full scale. */
export function levelOf(samples: Float32Array): { rms: number; peak: number } {
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    sum += s * s;
    const a = Math.abs(s);
    if (a > peak) peak = a;
  }
  return { rms: samples.length > 0 ? Math.sqrt(sum / samples.length) : 0, peak };
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export interface ResamplerOptions {
  /** Passband edge as a fraction of the output Nyquist frequency. Default 0.85 (6.8 kHz at 16 kHz). */
  cutoff?: number;
  /** Filter half-length, in output samples. Default 32. */
  halfTaps?: number;
  /** Kaiser window β. Default 8 (about 80 dB stopband). */
  beta?: number;
}

/**
 * A streaming band-limited resampler: a Kaiser-windowed sinc low-pass evaluated at each output
 * instant (from a finely sampled table), so that any rate converts to any other without aliasing.
 * Hand-written because the npm resamplers convert whole buffers, not a live stream, and this one
 * is 60 lines with a frequency-response test.
 */
export class Resampler {
  private readonly step: number;
  private readonly fc: number;
  private readonly half: number;
  private readonly table: Float32Array;
  private readonly resolution = 512;
  private buffer = new Float32Array(0);
  private bufferStart = 0;
  private nextOut = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
    options: ResamplerOptions = {},
  ) {
    this.step = inRate / outRate;
    const cutoff = options.cutoff ?? 0.85;
    // normalised to the input rate: sinc(fc·t) passes up to fc·inRate/2
    this.fc = cutoff * Math.min(1, outRate / inRate);
    this.half = Math.ceil((options.halfTaps ?? 32) * Math.max(1, this.step));
    const beta = options.beta ?? 8;
    const n = this.half * this.resolution + 2;
    this.table = new Float32Array(n);
    const i0beta = besselI0(beta);
    for (let i = 0; i < n; i++) {
      const t = i / this.resolution;
      const x = Math.PI * this.fc * t;
      const sinc = t === 0 ? 1 : Math.sin(x) / x;
      const r = t / this.half;
      const window = r >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
      this.table[i] = this.fc * sinc * window;
    }
  }

  private kernel(t: number): number {
    const p = Math.abs(t) * this.resolution;
    const i = Math.floor(p);
    if (i >= this.table.length - 1) return 0;
    const f = p - i;
    return this.table[i]! * (1 - f) + this.table[i + 1]! * f;
  }

  /** Feeds input samples; returns the output samples that are now complete. */
  push(input: Float32Array): Float32Array {
    if (this.inRate === this.outRate) return input;
    const merged = new Float32Array(this.buffer.length + input.length);
    merged.set(this.buffer);
    merged.set(input, this.buffer.length);
    this.buffer = merged;
    const end = this.bufferStart + this.buffer.length;
    const out: number[] = [];
    for (;;) {
      const x = this.nextOut * this.step;
      const centre = Math.floor(x);
      if (centre + this.half >= end) break;
      let sum = 0;
      const from = Math.max(this.bufferStart, centre - this.half + 1);
      for (let k = from; k <= centre + this.half; k++)
        sum += this.buffer[k - this.bufferStart]! * this.kernel(x - k);
      out.push(sum);
      this.nextOut++;
    }
    const keepFrom = Math.floor(this.nextOut * this.step) - this.half;
    if (keepFrom > this.bufferStart) {
      this.buffer = this.buffer.slice(keepFrom - this.bufferStart);
      this.bufferStart = keepFrom;
    }
    return Float32Array.from(out);
  }

  /** Emits the remaining output, as if the input continued with silence. */
  flush(): Float32Array {
    if (this.inRate === this.outRate) return new Float32Array(0);
    const total = Math.floor((this.bufferStart + this.buffer.length) / this.step);
    const padded = this.push(new Float32Array(this.half + 1));
    return padded.subarray(0, Math.max(0, total - (this.nextOut - padded.length)));
  }
}

/**
 * Removes a few known frequencies from interleaved 16-bit audio: each is cut by two cascaded
 * band-stop biquads (the audio EQ cookbook's notch), per channel, so that a tone at those
 * frequencies (the start cue, heard back from the speaker) is gone while speech, which spreads
 * over the whole band, is barely touched. Keeps its state from block to block.
 */
export class NotchFilter {
  private readonly sections: { b0: number; b1: number; a1: number; a2: number }[];
  /** x1, x2, y1, y2 per section and channel. */
  private readonly state: Float64Array;

  /**
   * @param q the quality: the band cut is `hz / q` wide. The default (3) also takes the spread of
   *   a note that lasts only some tens of milliseconds (with soft edges: 15 ms fades cut it by more
   *   than 30 dB), and costs under 2 dB a fifth of an octave away.
   */
  constructor(
    frequencies: readonly number[],
    rate: number,
    private readonly channels: number,
    q = 3,
  ) {
    const notches = frequencies
      .filter((hz) => hz > 0 && hz < rate / 2)
      .map((hz) => {
        const w0 = (2 * Math.PI * hz) / rate;
        const alpha = Math.sin(w0) / (2 * q);
        const a0 = 1 + alpha;
        const cos = -2 * Math.cos(w0);
        return { b0: 1 / a0, b1: cos / a0, a1: cos / a0, a2: (1 - alpha) / a0 };
      });
    this.sections = notches.flatMap((n) => [n, n]);
    this.state = new Float64Array(this.sections.length * channels * 4);
  }

  /** A filtered copy of `pcm`. */
  process(pcm: Int16Array): Int16Array {
    const out = new Int16Array(pcm.length);
    const { channels, sections, state } = this;
    for (let i = 0; i < pcm.length; i++) {
      const channel = i % channels;
      let x = pcm[i]!;
      for (let s = 0; s < sections.length; s++) {
        const { b0, b1, a1, a2 } = sections[s]!;
        const k = (s * channels + channel) * 4;
        // a notch's b2 equals its b0
        const y =
          b0 * x + b1 * state[k]! + b0 * state[k + 1]! - a1 * state[k + 2]! - a2 * state[k + 3]!;
        state[k + 1] = state[k]!;
        state[k] = x;
        state[k + 3] = state[k + 2]!;
        state[k + 2] = y;
        x = y;
      }
      out[i] = x >= 32767 ? 32767 : x <= -32768 ? -32768 : Math.round(x);
    }
    return out;
  }
}
