import { describe, expect, it } from 'vitest';
import { downmix, levelOf, Resampler, toInt16 } from './dsp.js';

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
