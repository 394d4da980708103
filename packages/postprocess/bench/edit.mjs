// What an edit by voice costs in whis itself, against the test kit's local chat server (a model that
// answers at once, so what is measured is whis, the openai SDK and HTTP). Run after a build:
// `npm run bench:edit` (root) or `npm run bench:edit -w @whis/postprocess`.
//
// 1. One edit split up: building the request (median of 2,000), then in fresh processes (median of
//    ROUNDS): importing the SDK alone; the first edit of a process (the SDK loads, its client is
//    made, the first connection opens); the first edit after `prepareLlm`; and later edits (median
//    of 20 in each process).
// 2. Memory: fresh processes that import @whis/postprocess; that also build an editor; that also
//    run one edit (interleaved, median of ROUNDS, after a full GC). Goal: building an editor adds
//    nothing (the SDK loads with the first edit).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { buildEditMessages } from '@whis/postprocess';
import { startChatServer } from '@whis/testkit';
import { LATER, median, SELECTION } from './edit-child.mjs';

const ROUNDS = Number(process.env.BENCH_EDIT_ROUNDS ?? 7);
const ms = (value) => `${value.toFixed(1)} ms`;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const signedMb = (bytes) => `${bytes >= 0 ? '+' : '−'}${mb(Math.abs(bytes))}`;

const childScript = fileURLToPath(new URL('./edit-child.mjs', import.meta.url));
const run = promisify(execFile);
const server = await startChatServer({ kind: 'edit' });
// asynchronously: the children's edits are answered by the server in this process
const inChild = async (what) => {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', childScript, what, server.baseURL],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1));
};

try {
  // 1. request building
  for (let i = 0; i < 200; i++) buildEditMessages('make this more formal', SELECTION);
  const builds = [];
  for (let i = 0; i < 2000; i++) {
    const started = performance.now();
    buildEditMessages('make this more formal', SELECTION);
    builds.push(performance.now() - started);
  }
  const rounds = { sdk: [], cold: [], prepared: [], import: [], create: [], edit: [] };
  for (let round = 0; round < ROUNDS; round++) {
    rounds.sdk.push(await inChild('sdk'));
    rounds.cold.push(await inChild('cold'));
    rounds.prepared.push(await inChild('prepared'));
    rounds.import.push(await inChild('memory-import'));
    rounds.create.push(await inChild('memory-create'));
    rounds.edit.push(await inChild('memory-edit'));
  }
  const pick = (list, key) => median(list.map((r) => r[key]));
  console.log(
    `One edit against the local chat server (${SELECTION.length}-character selection; fresh processes, median of ${ROUNDS}):`,
  );
  console.log(
    `  building the request (prompt, blocks, random code)   ${(median(builds) * 1000).toFixed(1)} µs (median of 2000)`,
  );
  console.log(
    `  importing the openai SDK alone                       ${ms(pick(rounds.sdk, 'sdkMs'))}`,
  );
  console.log(
    `  first edit of a process (SDK, client, connection)    ${ms(pick(rounds.cold, 'firstMs'))}`,
  );
  console.log(
    `  prepareLlm ahead (at service start)                  ${ms(pick(rounds.prepared, 'prepareMs'))}; first edit after it ${ms(pick(rounds.prepared, 'firstMs'))}`,
  );
  console.log(
    `  later edits (median of ${LATER} per process)              ${ms(pick(rounds.cold, 'laterMs'))}`,
  );
  console.log(
    `  first edit / later edits: ${(pick(rounds.cold, 'firstMs') / pick(rounds.cold, 'laterMs')).toFixed(1)}× cold, ${(pick(rounds.prepared, 'firstMs') / pick(rounds.prepared, 'laterMs')).toFixed(1)}× after prepareLlm`,
  );

  const base = { rss: pick(rounds.import, 'rss'), heap: pick(rounds.import, 'heapUsed') };
  const created = { rss: pick(rounds.create, 'rss'), heap: pick(rounds.create, 'heapUsed') };
  const used = { rss: pick(rounds.edit, 'rss'), heap: pick(rounds.edit, 'heapUsed') };
  console.log(
    `\nMemory after a full GC (fresh processes, interleaved, median of ${ROUNDS}; RSS is noisy to ~±1 MB, the heap is not):`,
  );
  console.log(`  @whis/postprocess imported   RSS ${mb(base.rss)}, heap ${mb(base.heap)}`);
  console.log(
    `  + an editor built            RSS ${signedMb(created.rss - base.rss)}, heap ${signedMb(created.heap - base.heap)}`,
  );
  console.log(
    `  + one edit (the SDK loaded)  RSS ${signedMb(used.rss - base.rss)}, heap ${signedMb(used.heap - base.heap)}`,
  );
  const added = created.heap - base.heap;
  console.log(
    `  goal: building an editor adds nothing to the heap (< 0.1 MB): ${Math.abs(added) < 100_000 ? 'met' : 'NOT met'}`,
  );
} finally {
  await server.close();
}
