import { runChecked, synthesize } from '@whis/testkit';
import { join } from 'node:path';

/** What is said at the start of the meeting `writeMeeting` writes. */
export const FIRST = 'one two three';
/** What is said 25 minutes into it. */
export const SECOND = 'four five six';

/**
 * Writes a 31-minute meeting as a 16 kHz WAV (about 60 MB) into `dir` and returns its path: FIRST,
 * 25 minutes of silence, SECOND, 6 minutes of silence. Over both of the endpoint's limits (25 MB an
 * upload, 1500 s of audio).
 */
export async function writeMeeting(dir: string): Promise<string> {
  const [a, b] = [join(dir, 'a.wav'), join(dir, 'b.wav')];
  await synthesize(FIRST, a);
  await synthesize(SECOND, b);
  await runChecked('sox', [a, join(dir, 'a-long.wav'), 'pad', '0', '1500']);
  await runChecked('sox', [b, join(dir, 'b-long.wav'), 'pad', '0', '360']);
  const meeting = join(dir, 'meeting.wav');
  await runChecked('sox', [join(dir, 'a-long.wav'), join(dir, 'b-long.wav'), meeting]);
  return meeting;
}
