// bench:local — the offline engine's costs, both models in one run: load time, the child's RSS,
// and CPU ms per second of audio with 1 and 2 threads. The Parakeet-sized stand-in (random int8
// weights, ~580 MB, generated here and deleted after) only shows the cost of the matrix sizes: its
// speed is indicative, its text is noise, and it says nothing of accuracy. `--small` skips it.
import { burstsPcm, writeTinyParakeet } from '@whis/testkit';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalTranscriber } from '@whis/local';
import { writeStandIn } from './standin.mjs';

const AUDIO_SECONDS = 20;
const ROUNDS = 3;
const TICKS = 100; // clock ticks a second (USER_HZ) on Linux

function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}
function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/\d+/.exec(line)[0]) / 1024;
}

async function measure(label, files, threads) {
  const t = createLocalTranscriber({
    modelDir: '.',
    type: 'nemo-transducer',
    files,
    threads,
    idleMs: 0,
  });
  try {
    const started = performance.now();
    await t.prepare();
    const loadMs = performance.now() - started;
    const pid = t.pid;
    const audio = burstsPcm(AUDIO_SECONDS, { burstMs: 400, gapMs: 600 }).subarray(
      0,
      AUDIO_SECONDS * 16_000,
    );
    await t.transcribePcm(audio.subarray(0, 16_000), 16_000); // warm-up
    const perSecond = [];
    const wallPerSecond = [];
    for (let i = 0; i < ROUNDS; i++) {
      const before = cpuMs(pid);
      const wallBefore = performance.now();
      await t.transcribePcm(audio, 16_000);
      wallPerSecond.push((performance.now() - wallBefore) / AUDIO_SECONDS);
      perSecond.push((cpuMs(pid) - before) / AUDIO_SECONDS);
    }
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
    return {
      label,
      threads,
      loadMs,
      rss: rssMiB(pid),
      cpu: median(perSecond),
      wall: median(wallPerSecond),
    };
  } finally {
    await t.close();
  }
}

const small = process.argv.includes('--small');
const dir = await mkdtemp(join(tmpdir(), 'whis-bench-local-'));
try {
  const tiny = await writeTinyParakeet(join(dir, 'tiny'));
  const models = [['generated 1 KB Parakeet', tiny]];
  if (!small) {
    const started = performance.now();
    const standIn = await writeStandIn(join(dir, 'standin'));
    const bytes = (await stat(standIn.encoder)).size;
    console.log(
      `stand-in generated in ${((performance.now() - started) / 1000).toFixed(1)} s (encoder ${(bytes / 1e6).toFixed(0)} MB)`,
    );
    models.push(['Parakeet 0.6B-sized stand-in (random int8)', standIn]);
  }
  const rows = [];
  for (const [label, files] of models) {
    for (const threads of [1, 2]) rows.push(await measure(label, files, threads));
  }
  console.log(
    `\n${AUDIO_SECONDS} s of audio a round, median of ${ROUNDS} rounds, child CPU time from /proc`,
  );
  console.log(
    'model                                        threads   load ms   child RSS MiB   CPU ms per s of audio   wall ms per s of audio',
  );
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(44)} ${String(r.threads).padStart(7)} ${r.loadMs.toFixed(0).padStart(9)} ${r.rss.toFixed(0).padStart(15)} ${r.cpu.toFixed(1).padStart(23)} ${r.wall.toFixed(1).padStart(24)}`,
    );
  }
  if (!small) {
    console.log(
      "\nThe stand-in has the real model's matrix sizes but not its attention or subsampling: indicative only; accuracy was not measured (no real model can be downloaded here).",
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
