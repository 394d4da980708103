import { describe, expect, it } from 'vitest';
import { downmix, levelOf, NotchFilter, Resampler, toInt16 } from './dsp.js';

function sine(freq: number, rate: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = 0.5 * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

// Feeds the signal in uneven blocks, as a device would, and measures the steady-state RMS.
function resampledRms(freq: number, inRate: number): number {
  const r = new Resampler(inRate, 16_000);
  const input = sine(freq, inRate, 1);
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += 997) parts.push(r.push(input.subarray(i, i + 997)));
  const out = Float32Array.from(parts.flatMap((p) => [...p]));
  return levelOf(out.subarray(2000, out.length - 2000)).rms;
}

const db = (x: number) => 20 * Math.log10(x / (0.5 / Math.SQRT2));

describe('Resampler', () => {
  for (const inRate of [48_000, 44_100]) {
    it(`${inRate} → 16000: flat passband up to 6 kHz`, () => {
      for (const f of [100, 440, 1000, 3000, 5000, 6000])
        expect(Math.abs(db(resampledRms(f, inRate)))).toBeLessThan(0.5);
    });

    it(`${inRate} → 16000: tones above 8 kHz do not alias into the output`, () => {
      for (const f of [8_800, 10_000, 12_000, 15_000, 20_000])
        expect(db(resampledRms(f, inRate))).toBeLessThan(-60);
    });
  }

  it('keeps the length: 1 s in, 1 s out (with flush)', () => {
    const r = new Resampler(48_000, 16_000);
    const out = [r.push(sine(440, 48_000, 1)), r.flush()];
    expect(out[0]!.length + out[1]!.length).toBeGreaterThanOrEqual(15_990);
    expect(out[0]!.length + out[1]!.length).toBeLessThanOrEqual(16_000);
  });

  it('passes 16 kHz through unchanged', () => {
    const s = sine(440, 16_000, 0.1);
    expect(new Resampler(16_000, 16_000).push(s)).toBe(s);
  });
});

describe('downmix, toInt16, levelOf', () => {
  it('averages channels', () => {
    expect([...downmix(Int16Array.from([16384, 0, -16384, -16384]), 2)]).toEqual([0.25, -0.5]);
  });
  it('clips to 16 bits', () => {
    expect([...toInt16(Float32Array.from([1.5, -2, 0.5]))]).toEqual([32767, -32768, 16384]);
  });
  it('measures rms and peak', () => {
    const level = levelOf(sine(1000, 16_000, 1));
    expect(level.rms).toBeCloseTo(0.5 / Math.SQRT2, 3);
    expect(level.peak).toBeCloseTo(0.5, 3);
  });
});

describe('NotchFilter', () => {
  // a short note with 15 ms raised-cosine edges, as a cue is made of
  function note(hz: number, ms: number, rate: number): Int16Array {
    const n = Math.round((rate * ms) / 1000);
    const edge = rate * 0.015;
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const fade = Math.min(1, i / edge, (n - 1 - i) / edge);
      out[i] = Math.round(
        16000 * (0.5 - 0.5 * Math.cos(Math.PI * fade)) * Math.sin((2 * Math.PI * hz * i) / rate),
      );
    }
    return out;
  }
  const energy = (pcm: Int16Array) => pcm.reduce((sum, s) => sum + s * s, 0);
  const interleave = (mono: Int16Array, channels: number) =>
    Int16Array.from({ length: mono.length * channels }, (_, i) => mono[Math.floor(i / channels)]!);
  // the cue in blocks of 10 ms, then 100 ms of silence for the filter's ring to die out
  function filtered(pcm: Int16Array, filter: NotchFilter, block: number): Int16Array {
    const padded = new Int16Array(pcm.length + block * 10);
    padded.set(pcm);
    const parts: Int16Array[] = [];
    for (let i = 0; i < padded.length; i += block)
      parts.push(filter.process(padded.subarray(i, i + block)));
    return Int16Array.from(parts.flatMap((p) => [...p]));
  }

  for (const [rate, channels] of [
    [16_000, 1],
    [44_100, 2],
    [48_000, 2],
  ] as const) {
    it(`takes a cue of short 660 and 990 Hz notes out by more than 30 dB (${rate} Hz, ${channels} ch)`, () => {
      const cue = interleave(
        Int16Array.from([...note(660, 50, rate), ...note(990, 60, rate)]),
        channels,
      );
      const out = filtered(
        cue,
        new NotchFilter([660, 990], rate, channels),
        (rate / 100) * channels,
      );
      expect(10 * Math.log10(energy(out) / energy(cue))).toBeLessThan(-30);
    });
  }

  it('leaves the rest of the band: tones away from the notches keep their level', () => {
    for (const [hz, db] of [
      [200, 0.5],
      [1500, 2],
      [3000, 0.5],
    ] as const) {
      const tone = note(hz, 500, 16_000);
      const out = filtered(tone, new NotchFilter([660, 990], 16_000, 1), 160);
      expect(Math.abs(10 * Math.log10(energy(out) / energy(tone)))).toBeLessThan(db);
    }
  });

  it('passes audio through unchanged when it has no frequency to cut', () => {
    const tone = note(660, 100, 16_000);
    expect(new NotchFilter([], 16_000, 1).process(tone)).toEqual(tone);
  });
});
