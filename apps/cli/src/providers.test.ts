import {
  deepgramError,
  elevenLabsError,
  startDeepgramServer,
  startElevenLabsServer,
  type ProviderHandler,
  type ProviderServer,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  readClipboard,
  startRig,
  type Rig,
  type Sandbox,
} from './internal/harness.js';

// The service with Deepgram and ElevenLabs chosen, on the real microphone rig, against local servers
// that speak each API and recognise with pocketsphinx: a dictation comes out on the clipboard; a
// 429 with retry-after is retried within the budget; a refused key is kept and said with the fix,
// and `whis retry` recovers it once the key works.
const PHRASE = 'one two three four five';
let rig: Rig;
let sandbox: Sandbox | undefined;
let server: ProviderServer | undefined;

beforeAll(async () => {
  rig = await startRig(PHRASE);
}, 60_000);
afterAll(async () => {
  await rig?.stop();
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
  await server?.close();
  server = undefined;
});

const cases = [
  {
    name: 'deepgram',
    start: startDeepgramServer,
    variable: 'DEEPGRAM_API_KEY',
    model: 'nova-3',
    tooMany: deepgramError(429, 'TOO_MANY_REQUESTS', 'Too many requests', { 'retry-after': '1' }),
    badKey: deepgramError(401, 'INVALID_AUTH', 'Invalid credentials.'),
  },
  {
    name: 'elevenlabs',
    start: startElevenLabsServer,
    variable: 'ELEVENLABS_API_KEY',
    model: 'scribe_v2',
    tooMany: elevenLabsError(429, 'too_many_concurrent_requests', 'Too many requests', {
      'retry-after': '1',
    }),
    badKey: elevenLabsError(401, 'invalid_api_key', 'Invalid API key'),
  },
];

describe.each(cases)('provider $name on the real service', (c) => {
  it('a dictation (after a 429) comes out; a refused key is kept, said, and retried', async () => {
    let mode: 'busy' | 'refuse' | 'ok' = 'busy';
    const handler: ProviderHandler = (_request, recognized) => {
      if (mode === 'busy') {
        mode = 'ok';
        return c.tooMany;
      }
      return mode === 'refuse' ? c.badKey : recognized();
    };
    server = await c.start(handler);
    sandbox = await createSandbox({ ...rig.x.env, ...rig.mic.env });
    const s = sandbox;
    // the settings a user gives: the provider, its key (stored as its own), the endpoint
    await s.whis(['config', 'set', 'provider', c.name]);
    const saved = await s.whis(['config', '--api-key', 'key-of-mine']);
    expect(saved.stdout).toContain(`Saved the API key of ${c.name}`);
    await s.whis(['config', 'set', 'baseURL', server.baseURL]);
    const shown = await s.whis(['config', '--show', '--json']);
    expect(shown.stdout).not.toContain('key-of-mine');

    await s.listen(['--no-hotkey']);
    expect((await s.whis(['status'])).stdout).toContain(`file, ${c.name} ${c.model}`);
    await s.whis(['toggle']);
    await rig.mic.play(rig.phraseWav);
    await s.whis(['toggle']);
    expect(await s.transcript(1)).toBe(PHRASE);
    await expect.poll(() => readClipboard(rig.x.env), { timeout: 10_000 }).toBe(PHRASE);
    expect(server.requests.map((r) => r.key)).toEqual(['key-of-mine', 'key-of-mine']);

    mode = 'refuse';
    await s.whis(['toggle']);
    await rig.mic.play(rig.phraseWav);
    await s.whis(['toggle']);
    const st = await s.waitForStatus(
      (v) => (v.lastError as { code?: string } | null)?.code === 'auth',
      60_000,
    );
    expect((st.lastError as { message: string }).message).toContain(c.variable);
    mode = 'ok';
    const retried = await s.whis(['retry'], { timeoutMs: 60_000 });
    expect(retried.stdout.trim()).toBe(PHRASE);
  }, 120_000);
});

const liveCases = [
  {
    name: 'deepgram',
    start: startDeepgramServer,
    variable: 'DEEPGRAM_API_KEY',
    status: 'realtime, nova-3 (missed segments uploaded with deepgram nova-3)',
  },
  {
    name: 'elevenlabs',
    start: startElevenLabsServer,
    variable: 'ELEVENLABS_API_KEY',
    status: 'realtime, scribe_v2_realtime (missed segments uploaded with elevenlabs scribe_v2)',
  },
];

describe.each(liveCases)('provider $name live on the real service', (c) => {
  it('mode realtime: the segments come back live; a stream dropped mid-dictation loses nothing', async () => {
    const dg = await c.start();
    server = dg;
    sandbox = await createSandbox({
      ...rig.x.env,
      ...rig.mic.env,
      WHIS_PROVIDER: c.name,
      [c.variable]: 'dg-live',
    });
    const s = sandbox;
    await s.whis(['config', 'set', 'mode', 'realtime']);
    await s.whis(['config', 'set', 'baseURL', dg.baseURL]);
    await s.listen(['--no-hotkey']);
    expect((await s.whis(['status'])).stdout).toContain(c.status);
    await s.whis(['toggle']);
    await rig.mic.play(rig.phraseWav);
    await s.whis(['toggle']);
    expect(await s.transcript(1)).toBe(PHRASE);
    // streamed, finalized, and nothing uploaded
    expect(dg.live.connections[0]).toMatchObject({ key: 'dg-live' });
    const first = dg.live.connections[0]!;
    expect('finalized' in first ? first.finalized : first.commits).toBeGreaterThan(0);
    expect(dg.requests).toHaveLength(0);

    // the connection drops half a second into the next dictation: the segment is uploaded
    dg.live.dropAfterBytes = 16_000;
    await s.whis(['toggle']);
    await rig.mic.play(rig.phraseWav);
    await s.whis(['toggle']);
    expect((await s.transcripts(2)).map((t) => t.text)).toEqual([PHRASE, PHRASE]);
    expect(dg.requests.length).toBeGreaterThan(0);
  }, 120_000);
});
