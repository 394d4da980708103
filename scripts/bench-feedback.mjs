// Feedback benchmarks, on the virtual microphone (a PulseAudio null sink whose monitor is the
// default input) with the service host, the real microphone and the desktop's sound player:
//  1. press → start cue over (the player has drained it) and press → first sample captured, start
//     cue on vs off (median of 10, interleaved). The capture plays the cue once its first sample is
//     in. The cue's onset is its end minus its length.
//  2. with one MPRIS player (mpv) playing on a private session bus: what pausing media adds to a
//     dictation's start (press → recording, pauseMedia on vs off) and how long the resume takes
//     after the recording ends (stop → the player plays again).
// Usage: npm run bench:feedback   (builds first)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMicrophone } from '@whis/audio';
import {
  connectSessionBus,
  createFeedback,
  createSoundPlayer,
  cueDurationMs,
} from '@whis/feedback';
import { createJournal, createServiceHost } from '@whis/service-core';
import { startMediaPlayer, startSessionBus, startVirtualMicrophone } from '@whis/testkit';

const ROUNDS = 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

const mic = await startVirtualMicrophone();
Object.assign(process.env, mic.env);
const bus = await startSessionBus();
const root = mkdtempSync(join(tmpdir(), 'whis-feedback-bench-'));
const microphone = createMicrophone({});
// one player for the whole run, as the service has: its WAV files are written once
const player = createSoundPlayer({});

async function round({ sounds, pauseMedia }) {
  let startCalled = 0;
  let capture;
  const audio = {
    async start(options) {
      startCalled = performance.now();
      capture = await microphone.start(options);
      return capture;
    },
  };
  let cueEnd = 0;
  const feedback = createFeedback({
    notify: 'off',
    sounds: sounds ? ['start'] : [],
    pauseMedia,
    connect: () => connectSessionBus({ address: bus.address }),
    player: {
      command: player.command,
      play: async (cue) => {
        await player.play(cue);
        if (cue === 'start') cueEnd = performance.now();
      },
      close: async () => undefined,
    },
  });
  const host = createServiceHost({
    audio,
    transcriber: { transcribe: async () => ({ text: '' }) },
    output: { name: 'none', deliver: async () => undefined },
    journal: createJournal({ directory: mkdtempSync(join(root, 'j-')) }),
    hooks: feedback,
    info: { version: 'bench' },
  });
  host.subscribe((event) => feedback.handle(event));
  const press = performance.now();
  await host.start();
  const recording = performance.now() - press;
  while (capture.stats.startLagMs === undefined) await sleep(5);
  const firstSample = startCalled + capture.stats.startLagMs - press;
  await sleep(300);
  const stop = performance.now();
  await host.cancel();
  await feedback.settled(); // the resume, when media were paused
  const resumed = performance.now() - stop;
  await host.shutdown();
  await feedback.close();
  return { recording, firstSample, cueEnd: cueEnd ? cueEnd - press : undefined, resumed };
}

try {
  console.log(
    `sound player: ${createSoundPlayer({}).command}; start cue ${cueDurationMs('start')} ms`,
  );
  await round({ sounds: true, pauseMedia: false }); // warm-up: the audio library and the device list
  const on = [];
  const off = [];
  for (let i = 0; i < ROUNDS; i++) {
    on.push(await round({ sounds: true, pauseMedia: false }));
    off.push(await round({ sounds: false, pauseMedia: false }));
  }
  const cueEnd = median(on.map((r) => r.cueEnd));
  console.log('1. start cue (median of 10)');
  console.log(`   press → cue heard (onset)         ${fmt(cueEnd - cueDurationMs('start'))}`);
  console.log(`   press → cue over                  ${fmt(cueEnd)}`);
  console.log(`   press → first sample, cue on      ${fmt(median(on.map((r) => r.firstSample)))}`);
  console.log(`   press → first sample, cue off     ${fmt(median(off.map((r) => r.firstSample)))}`);
  console.log(
    `   ratio on/off                      ${(median(on.map((r) => r.firstSample)) / median(off.map((r) => r.firstSample))).toFixed(2)}×`,
  );

  const mpv = await startMediaPlayer(bus);
  const paused = [];
  const plain = [];
  for (let i = 0; i < ROUNDS; i++) {
    paused.push(await round({ sounds: false, pauseMedia: true }));
    plain.push(await round({ sounds: false, pauseMedia: false }));
    const status = await mpv.status();
    if (status !== 'Playing') throw new Error(`the player was left ${status}`);
  }
  await mpv.stop();
  const on2 = median(paused.map((r) => r.recording));
  const off2 = median(plain.map((r) => r.recording));
  console.log('2. pausing media, one mpv playing (median of 10)');
  console.log(`   press → recording, pauseMedia on  ${fmt(on2)}`);
  console.log(`   press → recording, pauseMedia off ${fmt(off2)}`);
  console.log(`   added to the start                ${fmt(on2 - off2)}`);
  console.log(`   stop → resumed (after the end)    ${fmt(median(paused.map((r) => r.resumed)))}`);
  console.log(`   stop → settled, pauseMedia off    ${fmt(median(plain.map((r) => r.resumed)))}`);
} finally {
  await microphone.close();
  await player.close();
  await bus.stop();
  await mic.stop();
  rmSync(root, { recursive: true, force: true });
}
