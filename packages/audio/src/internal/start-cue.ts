import type { StartCue } from '@whis/contracts';
import { NotchFilter } from '../dsp.js';

/**
 * What a source does with the start cue, as one step in front of its pipeline: the first block
 * that arrives starts the cue (the recording is live, so the sound can neither delay nor precede
 * it), and from then until the cue is over and back from the speaker, the cue's frequencies are
 * filtered out of what is recorded. Speech over the cue stays. Without a cue, blocks pass as they are.
 */
export function startCueStep(
  cue: StartCue | undefined,
  rate: number,
  channels: number,
  /**
   * Resolves once the audio captured up to `instant` (performance.now() time) has come in: the
   * device's sample clock. Under load the audio arrives late; the filter stays on until what was
   * heard while the cue played has passed through it. Without it (a stream, not a device), the
   * filter ends when the cue does.
   */
  arrived?: (instant: number) => Promise<unknown>,
): (pcm: Int16Array) => Int16Array {
  if (!cue) return (pcm) => pcm;
  let filter: NotchFilter | undefined;
  let state: 'waiting' | 'playing' | 'over' = 'waiting';
  return (pcm) => {
    if (state === 'waiting') {
      state = 'playing';
      filter = new NotchFilter(cue.frequencies, rate, channels);
      // started once this block is through the pipeline
      queueMicrotask(() => {
        const over = () => void (state = 'over');
        const played = () => {
          if (!arrived) return over();
          arrived(performance.now()).then(over, over);
        };
        cue.play().then(played, played);
      });
    }
    return state === 'playing' ? filter!.process(pcm) : pcm;
  };
}
