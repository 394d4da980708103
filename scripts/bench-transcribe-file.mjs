// whis transcribe FILE on long recordings: peak RSS and wall time of the real CLI for a 10-minute
// and a 2-hour file, against the test kit's local transcription server (OpenAI's limits enforced:
// 25 MB an upload, 1500 s of audio; it answers at once, without running a recogniser). Both files
// are flite speech and pauses (a sentence every ~20 s), generated here as 32 kbit/s MP3.
// Memory stays flat when the 2-hour peak RSS is about the 10-minute one (ratio near 1).
// Usage: npm run bench:transcribe-file   (builds first)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENAI_LIMITS, startTranscriptionServer, synthesize } from '@whis/testkit';

const CLI = fileURLToPath(new URL('../apps/cli/bin/whis.cjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'whis-bench-file-'));
const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });

// a sentence and 20 s of pause, repeated to the length wanted
const clip = join(work, 'clip.wav');
await synthesize('the meeting went on and we talked about the next release', clip);
const unit = join(work, 'unit.wav');
sh('sox', [clip, unit, 'pad', '0', '20']);
const unitSeconds = Number(execFileSync('soxi', ['-D', unit]).toString());
const make = (name, seconds) => {
  const file = join(work, name);
  const loops = Math.ceil(seconds / unitSeconds) - 1;
  sh('ffmpeg', [
    '-v',
    'error',
    '-stream_loop',
    String(loops),
    '-i',
    unit,
    '-t',
    String(seconds),
    '-b:a',
    '32k',
    file,
  ]);
  return file;
};

const server = await startTranscriptionServer(
  () => ({ status: 200, body: JSON.stringify({ text: 'we talked about the next release' }) }),
  { limits: OPENAI_LIMITS },
);
// the CLI's own peak RSS (ffmpeg, its child, streams and holds little), written as it exits
const probe = join(work, 'rss.cjs');
writeFileSync(
  probe,
  "process.on('exit', () => require('node:fs').writeFileSync(process.env.WHIS_BENCH_RSS, String(process.resourceUsage().maxRSS)));\n",
);

function transcribe(file) {
  const rssFile = join(work, 'rss.txt');
  const cache = mkdtempSync(join(work, 'cache-'));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, 'transcribe', file, '--json'], {
      env: {
        ...process.env,
        NODE_OPTIONS: `--require ${probe}`,
        WHIS_BENCH_RSS: rssFile,
        OPENAI_API_KEY: 'sk-bench',
        OPENAI_BASE_URL: server.baseURL,
        XDG_CACHE_HOME: cache,
        XDG_CONFIG_HOME: join(work, 'config'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`whis transcribe ${file} exited ${code}`));
      const parts = JSON.parse(out).parts;
      resolve({
        wallS: (performance.now() - started) / 1000,
        rssMB: Number(readFileSync(rssFile, 'utf8')) / 1024,
        parts: parts.length,
        sent: parts.filter((p) => !p.skipped).length,
      });
    });
  });
}

try {
  const short = make('ten-minutes.mp3', 600);
  const long = make('two-hours.mp3', 7200);
  console.log(
    `files: 10 min ${(statSync(short).size / 1e6).toFixed(1)} MB, 2 h ${(statSync(long).size / 1e6).toFixed(1)} MB`,
  );
  const a = await transcribe(short);
  const b = await transcribe(long);
  const row = (name, r) =>
    `${name.padEnd(8)} peak RSS ${r.rssMB.toFixed(0).padStart(4)} MB   wall ${r.wallS.toFixed(1).padStart(6)} s   parts ${r.parts} (${r.sent} sent)`;
  console.log(row('10 min', a));
  console.log(row('2 hours', b));
  console.log(`peak RSS ratio 2 h / 10 min: ${(b.rssMB / a.rssMB).toFixed(2)}`);
  console.log(
    `requests at the server: ${server.requests.length}, the largest ${(Math.max(...server.requests.map((r) => r.audio.length)) / 1e6).toFixed(1)} MB`,
  );
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
