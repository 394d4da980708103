// One measurement of bench/edit.mjs in a fresh process: `node --expose-gc edit-child.mjs <what>
// [baseURL]` prints its figures as one JSON line. Also the constants the bench shares with it.
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createLlmEditor, prepareLlm } from '@whis/postprocess';

export const LATER = 20;
export const SELECTION =
  "hey team, can't make it to the standup today. i'll send my notes later and we can sync tomorrow. ".repeat(
    4,
  );
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function child(what, baseURL) {
  const settle = () => {
    globalThis.gc();
    globalThis.gc();
  };
  const memory = () => {
    settle();
    const { rss, heapUsed } = process.memoryUsage();
    return { rss, heapUsed };
  };
  if (what === 'sdk') {
    const started = performance.now();
    await import('openai');
    return { sdkMs: performance.now() - started };
  }
  if (what === 'memory-import') return memory();
  const editor = createLlmEditor({
    apiKey: 'sk-bench',
    baseURL,
    model: 'bench',
    timeoutMs: 10_000,
  });
  if (what === 'memory-create') return memory();
  const request = { instruction: 'make this more formal', selection: SELECTION };
  if (what === 'memory-edit') {
    await editor.edit(request);
    return memory();
  }
  let prepareMs;
  if (what === 'prepared') {
    const started = performance.now();
    await prepareLlm();
    prepareMs = performance.now() - started;
  }
  let started = performance.now();
  await editor.edit(request);
  const firstMs = performance.now() - started;
  const later = [];
  for (let i = 0; i < LATER; i++) {
    started = performance.now();
    await editor.edit(request);
    later.push(performance.now() - started);
  }
  return { prepareMs, firstMs, laterMs: median(later) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await child(process.argv[2], process.argv[3])));
}
