import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '@whis/config';
import { silentLogger, type LiveSession, type UploadAttempt } from '@whis/contracts';
import {
  deepgramError,
  elevenLabsError,
  runChecked,
  startDeepgramServer,
  startElevenLabsServer,
  synthesize,
  toWav16k,
  type ProviderHandler,
  type ProviderServer,
} from '@whis/testkit';
import { describeTranscriberContract } from '@whis/testkit/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, fileEngine } from './engines.js';
import { PROVIDERS, providerFor } from './providers.js';

// pocketsphinx on a shared machine: a few times the budget a cloud endpoint gets
const SLOW_SERVER = 6;

let dir: string;
let phrase: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-providers-'));
  // flite speaks the phrase; ffmpeg makes the 16 kHz mono MP3 whis uploads
  const wav = join(dir, 'phrase.wav');
  phrase = join(dir, 'phrase.mp3');
  await synthesize('hello world', wav);
  await runChecked('ffmpeg', ['-v', 'error', '-y', '-i', wav, '-ac', '1', '-ar', '16000', phrase]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let server: ProviderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const chunk = () => ({
  path: phrase,
  mimeType: 'audio/mpeg',
  startMs: 0,
  durationMs: 1500,
  bytes: 1,
});

// each provider: its server, its key's setting and variable, its error body, what it is sent
const cases = [
  {
    name: 'deepgram' as const,
    start: startDeepgramServer,
    error: deepgramError,
    keySetting: 'deepgramApiKey' as const,
    keyVariable: 'DEEPGRAM_API_KEY',
    badKey: deepgramError(401, 'INVALID_AUTH', 'Invalid credentials.'),
    quota: deepgramError(402, 'ASR_PAYMENT_REQUIRED', 'Project does not have enough credits.'),
    badAudio: deepgramError(
      400,
      'Bad Request',
      'Bad Request: failed to process audio: corrupt or unsupported data',
    ),
    sent: (server: ProviderServer) => ({
      model: server.requests[0]!.query.model,
      language: server.requests[0]!.query.language,
      smart: server.requests[0]!.query.smart_format,
      key: server.requests[0]!.key,
    }),
    expectedSent: { model: 'nova-3', language: 'en', smart: 'true', key: 'dg-key' },
  },
  {
    name: 'elevenlabs' as const,
    start: startElevenLabsServer,
    error: elevenLabsError,
    keySetting: 'elevenlabsApiKey' as const,
    keyVariable: 'ELEVENLABS_API_KEY',
    badKey: elevenLabsError(401, 'invalid_api_key', 'Invalid API key'),
    quota: elevenLabsError(
      401,
      'quota_exceeded',
      'This request exceeds your quota. You have 0 credits remaining.',
    ),
    badAudio: elevenLabsError(
      400,
      'invalid_content',
      'The uploaded file is not a supported audio format.',
    ),
    sent: (server: ProviderServer) => ({
      model: server.requests[0]!.fields.model_id,
      language: server.requests[0]!.fields.language_code,
      smart: undefined,
      key: server.requests[0]!.key,
    }),
    expectedSent: { model: 'scribe_v2', language: 'en', smart: undefined, key: 'dg-key' },
  },
];

describe.each(cases)('provider $name, recorded audio', (c) => {
  const settings = (extra: Partial<Settings> = {}): Settings => ({
    provider: c.name,
    [c.keySetting]: 'dg-key',
    baseURL: server!.baseURL,
    uploadTimeoutScale: SLOW_SERVER,
    language: 'en',
    ...extra,
  });
  const engine = (extra?: Partial<Settings>, env: NodeJS.ProcessEnv = {}) =>
    fileEngine(settings(extra), env).transcriber;

  it('a spoken phrase comes back as text, with its model, language and key', async () => {
    server = await c.start();
    // a model left from OpenAI is not sent to another provider
    const { text } = await engine({ model: 'gpt-transcribe' }).transcribe([chunk()]);
    expect(text).toBe('hello world');
    expect(c.sent(server)).toEqual(c.expectedSent);
  });

  it('takes its key from its own environment variable, before the setting', async () => {
    server = await c.start();
    await engine({}, { [c.keyVariable]: 'env-key' }).transcribe([chunk()]);
    expect(server.requests[0]!.key).toBe('env-key');
  });

  it('a refused key is not retried, and the message says how to set one', async () => {
    server = await c.start(() => c.badKey);
    const err = await engine()
      .transcribe([chunk()])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'auth', status: 401 });
    expect((err as Error).message).toContain(c.keyVariable);
    expect((err as Error).message).toContain(PROVIDERS[c.name].keyPage);
    expect(server.requests).toHaveLength(1);
  });

  it('429 with retry-after is retried after the wait, within the budget', async () => {
    let n = 0;
    const handler: ProviderHandler = (_request, recognized) =>
      ++n === 1
        ? c.error(429, 'TOO_MANY_REQUESTS', 'Too many requests', { 'retry-after': '1' })
        : recognized();
    server = await c.start(handler);
    const attempts: UploadAttempt[] = [];
    const started = Date.now();
    const { text } = await engine().transcribe([chunk()], { onAttempt: (a) => attempts.push(a) });
    expect(text).toBe('hello world');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(attempts.map((a) => [a.attempt, a.previousError])).toEqual([
      [1, undefined],
      [2, 'HTTP 429'],
    ]);
  });

  it('a spent quota is said as such, not retried', async () => {
    server = await c.start(() => c.quota);
    const err = await engine()
      .transcribe([chunk()])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rate-limited' });
    expect((err as Error).message).toMatch(/credit/i);
    expect(server.requests).toHaveLength(1);
  });

  it('audio it cannot read is a bad request whose message says to convert it', async () => {
    server = await c.start(() => c.badAudio);
    const err = await engine()
      .transcribe([chunk()])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad-request', status: 400 });
    expect((err as Error).message).toMatch(/convert it/);
  });

  it('an endpoint nobody answers at is a network error that names baseURL', async () => {
    server = await c.start();
    const baseURL = server.baseURL;
    await server.close();
    server = undefined;
    const err = await fileEngine(
      { provider: c.name, [c.keySetting]: 'k', baseURL },
      {},
      { maxRetries: 0 },
    )
      .transcriber.transcribe([chunk()])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network' });
    expect((err as Error).message).toContain('baseURL');
  });

  it('without a key: no-api-key, and status and doctor say where to make one', async () => {
    const none: Settings = { provider: c.name };
    expect(() => fileEngine(none, {})).toThrow(PROVIDERS[c.name].keyPage);
    expect(ENGINES.file.problems(none, {})[0]).toContain(c.keyVariable);
    const checks = await ENGINES.file.probe({ settings: none, env: {} });
    expect(checks[0]).toMatchObject({ name: 'API key', ok: false });
  });

  it('status names the provider and its model; an unknown model is a problem', () => {
    const keyed: Settings = { provider: c.name, [c.keySetting]: 'k' };
    const { defaultModel } = PROVIDERS[c.name];
    expect(ENGINES.file.describe(keyed, {})).toBe(`file, ${c.name} ${defaultModel}`);
    expect(ENGINES.file.problems(keyed, {})).toEqual([]);
    expect(ENGINES.file.problems({ ...keyed, model: 'no-such-model' }, {})[0]).toContain(
      `whis config set model ${defaultModel}`,
    );
  });

  it('the doctor tries the endpoint: key, endpoint and model answer', async () => {
    server = await c.start((_request) => ({
      status: 200,
      body:
        c.name === 'deepgram'
          ? JSON.stringify({ results: { channels: [{ alternatives: [{ transcript: '' }] }] } })
          : JSON.stringify({
              language_code: 'eng',
              language_probability: 0.5,
              text: '',
              words: [],
            }),
    }));
    const checks = await ENGINES.file.probe({ settings: settings(), env: {} });
    expect(checks.map((check) => [check.name, check.ok])).toEqual([
      ['API key', true],
      ['Endpoint and model', true],
    ]);
    expect(checks[1]!.detail).toContain(`accepts ${PROVIDERS[c.name].defaultModel}`);
  });
});

describe('the provider in force', () => {
  it('is openai unless `provider` (or WHIS_PROVIDER) says another', () => {
    expect(providerFor({}, {})).toBe('openai');
    expect(providerFor({ provider: 'deepgram' }, {})).toBe('deepgram');
    expect(providerFor({ provider: 'deepgram' }, { WHIS_PROVIDER: 'elevenlabs' })).toBe(
      'elevenlabs',
    );
  });
});

const liveCases = [
  {
    name: 'deepgram' as const,
    start: startDeepgramServer,
    keySetting: 'deepgramApiKey' as const,
    took: (server: Awaited<ReturnType<typeof startDeepgramServer>>) =>
      server.live.connections.map((c) => ({
        model: c.query.model,
        language: c.query.language,
        key: c.key,
        commits: c.finalized,
      })),
    model: 'nova-3',
    status: 'realtime, nova-3 (missed segments uploaded with deepgram nova-3)',
  },
  {
    name: 'elevenlabs' as const,
    start: startElevenLabsServer,
    keySetting: 'elevenlabsApiKey' as const,
    took: (server: Awaited<ReturnType<typeof startElevenLabsServer>>) =>
      server.live.connections.map((c) => ({
        model: c.query.model_id,
        language: c.query.language_code,
        key: c.key,
        commits: c.commits,
      })),
    model: 'scribe_v2_realtime',
    status: 'realtime, scribe_v2_realtime (missed segments uploaded with elevenlabs scribe_v2)',
  },
];

describe.each(liveCases)('provider $name, live', (c) => {
  let pcm: Int16Array;
  beforeAll(async () => {
    const wav = join(dir, 'phrase16k.wav');
    await toWav16k(phrase, wav);
    const bytes = await readFile(wav);
    pcm = new Int16Array(
      bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length),
    );
  });
  const stream = (session: LiveSession, segment: number) => {
    // 100 ms at a time, as the microphone delivers it
    for (let at = 0; at < pcm.length; at += 1600)
      session.append(pcm.subarray(at, at + 1600), segment);
  };
  const open = async (deltas: string[] = []) => {
    const parts = ENGINES.realtime.create(
      { logger: silentLogger, env: {} },
      {
        fixed: {
          provider: c.name,
          [c.keySetting]: 'dg-key',
          baseURL: server!.baseURL,
          mode: 'realtime',
          language: 'en',
        },
      },
    );
    const session = await parts.live!.open({ onDelta: (_segment, delta) => deltas.push(delta) });
    return session!;
  };

  it('streams each segment; its final text and deltas come back', async () => {
    const dg = await c.start();
    server = dg;
    const deltas: string[] = [];
    const session = await open(deltas);
    stream(session, 0);
    session.end();
    expect(await session.text(0)).toBe('hello world');
    stream(session, 1);
    session.end();
    expect(await session.text(1)).toBe('hello world');
    session.close();
    expect(deltas).toEqual(['hello world', 'hello world']);
    expect(c.took(dg as never)).toEqual([
      { model: c.model, language: 'en', key: 'dg-key', commits: 2 },
    ]);
  });

  it('a dropped connection fails its segment (it is uploaded); the next segment reconnects', async () => {
    const dg = await c.start();
    server = dg;
    dg.live.dropAfterBytes = 8000;
    const session = await open();
    stream(session, 0);
    session.end();
    await expect(session.text(0)).rejects.toMatchObject({ code: 'live-failed' });
    dg.live.dropAfterBytes = undefined;
    stream(session, 1);
    session.end();
    expect(await session.text(1)).toBe('hello world');
    session.close();
    expect(dg.live.connections).toHaveLength(2);
  });

  it('status names the live model', () => {
    expect(
      ENGINES.realtime.describe(
        { provider: 'deepgram', deepgramApiKey: 'k', mode: 'realtime' },
        {},
      ),
    ).toBe('realtime, nova-3 (missed segments uploaded with deepgram nova-3)');
  });
});

describeTranscriberContract('Deepgram SDK against the pocketsphinx server', async () => {
  const own = await startDeepgramServer();
  return {
    transcriber: fileEngine(
      { provider: 'deepgram', deepgramApiKey: 'k', baseURL: own.baseURL, uploadTimeoutScale: 6 },
      {},
    ).transcriber,
    chunk: chunk(),
    expected: 'hello world',
    cleanup: () => own.close(),
  };
});

describeTranscriberContract('ElevenLabs SDK against the pocketsphinx server', async () => {
  const own = await startElevenLabsServer();
  return {
    transcriber: fileEngine(
      {
        provider: 'elevenlabs',
        elevenlabsApiKey: 'k',
        baseURL: own.baseURL,
        uploadTimeoutScale: 6,
      },
      {},
    ).transcriber,
    chunk: chunk(),
    expected: 'hello world',
    cleanup: () => own.close(),
  };
});

// An idle service builds its transcriber at start: a provider's SDK must wait for the first upload.
// A child process records every module it loads (a module hook) and says which SDKs were among
// them after building each provider's transcriber.
describe("the providers' SDKs", () => {
  it('are not loaded by building a transcriber; each loads with its first upload, or when a recording starts', () => {
    const entry = fileURLToPath(new URL('../../dist/catalogue/engines.js', import.meta.url));
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
const { fileEngine, prepareEngines } = await import(${JSON.stringify(entry)});
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
const loaded = () => ['/openai/', '/@deepgram/', '/@elevenlabs/'].filter((p) => [...seen].some((url) => url.includes('/node_modules' + p)));
const base = { baseURL: 'http://127.0.0.1:9', deepgramApiKey: 'k', elevenlabsApiKey: 'k' };
const dg = fileEngine({ ...base, provider: 'deepgram' }, {}, { maxRetries: 0 }).transcriber;
fileEngine({ ...base, provider: 'elevenlabs' }, {}, { maxRetries: 0 });
await settle();
const afterCreate = loaded();
const chunk = { path: ${JSON.stringify(fileURLToPath(import.meta.url))}, mimeType: 'audio/wav', durationMs: 1000 };
await dg.transcribe([chunk]).catch(() => undefined);
await settle();
const afterUpload = loaded();
// a recording under way with elevenlabs chosen loads its SDK before the upload needs it
prepareEngines(async () => ({ provider: 'elevenlabs' }), {});
for (let i = 0; i < 200 && !loaded().includes('/@elevenlabs/'); i++) await settle();
console.log(JSON.stringify({ afterCreate, afterUpload, afterPrepare: loaded() }));
process.exit(0);
`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      afterCreate: [],
      afterUpload: ['/@deepgram/'],
      afterPrepare: ['/@deepgram/', '/@elevenlabs/'],
    });
  });
});
