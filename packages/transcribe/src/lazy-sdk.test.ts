import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// An idle service builds its transcriber at start: the openai SDK (about 10 MB) must wait for the
// first recording. A child process records every module it loads (a module hook) and says whether
// the SDK was among them after building, and after preparing.
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const script = `
import { register } from 'node:module';
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => seen.add(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(\`
  let port;
  export function initialize(data) { port = data.port; }
  export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
\`), { data: { port: port2 }, transferList: [port2] });
const { createTranscriber, prepareTranscriber } = await import(${JSON.stringify(entry)});
createTranscriber({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' });
await new Promise((resolve) => setTimeout(resolve, 100));
const loaded = () => [...seen].some((url) => url.includes('/node_modules/openai/'));
const afterCreate = loaded();
await prepareTranscriber();
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(JSON.stringify({ afterCreate, afterPrepare: loaded() }));
`;

describe('the openai SDK', () => {
  it('is not loaded by building a transcriber, only when a recording prepares it', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ afterCreate: false, afterPrepare: true });
  });
});
