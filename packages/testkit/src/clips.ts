import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from './process.js';

/** One labelled clip: 16 kHz mono 16-bit WAV. */
export interface LabelledClip {
  name: string;
  /** `speech`: a short spoken reply (with quiet room noise under it); `noise`: no speech at all. */
  kind: 'speech' | 'noise';
  /** What is said (speech clips only). */
  text?: string;
  path: string;
}

const VOICES = ['awb', 'kal', 'kal16', 'rms', 'slt'] as const;
const STRETCHES = [0.8, 1, 1.2, 1.4] as const;

/** The short replies a chat gets, the ones a silence filter on text alone drops first. */
export const SHORT_REPLIES = [
  'thank you',
  'thanks',
  'thank you very much',
  'yes',
  'okay',
  'sounds good',
  'bye',
  'no',
  'sure',
  'got it',
  'thanks a lot',
  'see you',
  'thank you',
  'yes please',
  'perfect',
  'all right',
  'thank you very much',
  'good night',
  'great thanks',
  'bye bye',
  'thank you',
  'okay thanks',
  'no thanks',
  'right',
] as const;

// Each non-speech clip: a sox synthesis (after `sox -n … synth`) at a peak level (dBFS).
const NOISES: ReadonlyArray<{ name: string; effects: string[] }> = [
  { name: 'digital-silence', effects: ['synth', '3', 'sine', '0', 'gain', '-100'] },
  ...[-42, -30, -20, -12].map((db) => ({
    name: `room-pink${db}`,
    effects: ['synth', '3', 'pinknoise', 'gain', '-n', String(db)],
  })),
  ...[-30, -18, -10].map((db) => ({
    name: `room-brown${db}`,
    effects: ['synth', '3', 'brownnoise', 'gain', '-n', String(db)],
  })),
  ...[-30, -14].map((db) => ({
    name: `fan-white${db}`,
    effects: ['synth', '3', 'whitenoise', 'lowpass', '1200', 'gain', '-n', String(db)],
  })),
  // breathing: band-passed noise that swells and fades about every three seconds
  ...[-40, -30, -20, -12].map((db) => ({
    name: `breathing${db}`,
    effects: [
      'synth',
      '4',
      'pinknoise',
      'sinc',
      '300-2500',
      'tremolo',
      '0.3',
      '100',
      'gain',
      '-n',
      String(db),
    ],
  })),
  // keyboard: short bursts of a few ms, regular or in runs, soft to loud
  ...(
    [
      [-20, '0.17'],
      [-10, '0.12'],
      [-3, '0.2'],
      [-3, '0.08'],
    ] as const
  ).map(([db, gap]) => ({
    name: `keyboard${db}-${gap}`,
    effects: [
      'synth',
      '0.006',
      'whitenoise',
      'fade',
      '0',
      '0.006',
      '0.005',
      'pad',
      '0.05',
      gap,
      'repeat',
      '16',
      'gain',
      '-n',
      String(db),
    ],
  })),
  ...(
    [
      [50, -40],
      [50, -25],
      [60, -15],
    ] as const
  ).map(([hz, db]) => ({
    name: `hum${hz}${db}`,
    effects: [
      'synth',
      '3',
      'sine',
      String(hz),
      'sine',
      String(hz * 2),
      'sine',
      String(hz * 3),
      'remix',
      '-',
      'gain',
      '-n',
      String(db),
    ],
  })),
];

const SOX_OUT = ['-R', '-r', '16000', '-c', '1', '-b', '16'];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes (once; the same bytes every time) a labelled set of clips into `dir`: the short replies
 * in flite's five voices at speeds 0.8–1.4 with quiet room noise under them, and as many clips
 * without speech (digital silence, room and fan noise, breathing, keyboard clicks, mains hum, at
 * several levels). What a speech detector is measured on.
 */
export async function makeLabelledClips(
  dir: string,
  options: {
    /** Only the clips whose name matches (e.g. `/thank-you-awb|pink-12/`). */
    only?: RegExp;
  } = {},
): Promise<LabelledClip[]> {
  await mkdir(dir, { recursive: true });
  const clips: LabelledClip[] = [];
  const wanted = (name: string) => options.only?.test(name) ?? true;
  for (const [i, text] of SHORT_REPLIES.entries()) {
    // every voice at every speed, and no two clips alike
    const voice = VOICES[(i + Math.floor(i / 20)) % VOICES.length]!;
    const stretch = STRETCHES[Math.floor(i / 5) % STRETCHES.length]!;
    // every third reply spoken softly (peak −20 dBFS), the others at −3 dBFS
    const peak = i % 3 === 2 ? -20 : -3;
    const name = `reply-${String(i).padStart(2, '0')}-${text.replace(/ /g, '-')}-${voice}-${stretch}`;
    const path = join(dir, `${name}.wav`);
    if (!wanted(name)) continue;
    clips.push({ name, kind: 'speech', text, path });
    if (await exists(path)) continue;
    const raw = join(dir, `${name}.raw.wav`);
    const room = join(dir, `${name}.room.wav`);
    try {
      await runChecked('flite', [
        '-voice',
        voice,
        '--setf',
        `duration_stretch=${stretch}`,
        '-t',
        text,
        '-o',
        raw,
      ]);
      // half a second before and after the words, as between a hotkey and speech
      const speech = join(dir, `${name}.speech.wav`);
      await runChecked('sox', [
        raw,
        ...SOX_OUT,
        speech,
        'rate',
        '16000',
        'gain',
        '-n',
        String(peak),
        'pad',
        '0.5',
        '0.6',
      ]);
      const { stdout } = await runChecked('soxi', ['-D', speech]);
      await runChecked('sox', [
        '-n',
        ...SOX_OUT,
        room,
        'synth',
        stdout.trim(),
        'pinknoise',
        'gain',
        '-n',
        '-45',
      ]);
      await runChecked('sox', ['-m', '-v', '1', speech, '-v', '1', room, ...SOX_OUT, path]);
      await rm(speech, { force: true });
    } finally {
      await rm(raw, { force: true });
      await rm(room, { force: true });
    }
  }
  for (const noise of NOISES) {
    const path = join(dir, `noise-${noise.name}.wav`);
    if (!wanted(`noise-${noise.name}`)) continue;
    clips.push({ name: `noise-${noise.name}`, kind: 'noise', path });
    if (!(await exists(path))) await runChecked('sox', ['-n', ...SOX_OUT, path, ...noise.effects]);
  }
  return clips;
}
