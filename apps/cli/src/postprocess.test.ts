// Post-processing through the real service: the virtual microphone, the local transcription
// server (pocketsphinx), the daemon, the clipboard, and real windows under Xvfb.
import {
  openEntry,
  openXterm,
  xdotool,
  type VirtualDisplay,
  type VirtualMicrophone,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  heardAs,
  readClipboard,
  startRig,
  type Rig,
  type Sandbox,
} from './internal/harness.js';

// what the recogniser hears, and what the chain makes of it
const PHRASE = 'hello world period one two three four five';
const REPLACEMENTS = 'hello world=Hello, World;one two three=1-2-3';

let rig: Rig;
let x: VirtualDisplay;
let mic: VirtualMicrophone;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  // The recogniser hears the spoken phrase (real audio, uploaded for real), but it hears "period"
  // as "the" now and then; what is under test here is what the chain does with the text, so a
  // segment in which it heard words is answered with the phrase that was spoken.
  rig = await startRig(PHRASE, heardAs(PHRASE, /\b(one|two|three|four|five|hello|world)\b/));
  ({ x, mic } = rig);
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
});

async function configured(settings: Array<[string, string]>): Promise<Sandbox> {
  sandbox = await createSandbox({ ...rig.env, OPENAI_API_KEY: 'sk-e2e' });
  for (const [key, value] of settings) {
    const set = await sandbox.whis(['config', 'set', key, value]);
    expect(set.code, set.stderr).toBe(0);
  }
  await sandbox.listen();
  await sandbox.waitForStatus((st) => st.hotkeyActive === true);
  return sandbox;
}

// the text has been typed once the service is idle again
async function idle(s: Sandbox): Promise<void> {
  await expect.poll(async () => state(s), { timeout: 30_000 }).toBe('idle');
}

// the hotkey, as a user dictates (and as the other end-to-end tests do)
async function dictate(s: Sandbox): Promise<void> {
  await xdotool(x, ['key', 'ctrl+shift+r']);
  await expect.poll(async () => state(s), { timeout: 30_000 }).toBe('recording');
  await mic.play(rig.phraseWav);
  await xdotool(x, ['key', 'ctrl+shift+r']);
}

const state = async (s: Sandbox) => (await s.status()).state;

// On a loaded machine the recogniser may drop words at the end; what matters is what the chain
// made of what it heard: the chain's edits, written out by hand.
const HEARD = /^hello world period/;
const fullChain = (raw: string) => {
  const rest = raw.replace(HEARD, '').trim().replace('one two three', '1-2-3');
  return `Hello, World.${rest ? ` ${rest.charAt(0).toUpperCase()}${rest.slice(1)}` : ''}`;
};
const replacementsOnly = (raw: string) =>
  raw.replace('hello world', 'Hello, World').replace('one two three', '1-2-3');

describe('post-processing on real components', () => {
  it('replacements and spoken punctuation: the processed text on the clipboard, the raw one in `whis last --raw`', async () => {
    const s = await configured([
      ['postProcess', 'replacements,spoken'],
      ['replacements', REPLACEMENTS],
    ]);
    const human = (await s.whis(['status'])).stdout;
    expect(human).toContain('Post-processing: replacements (2 set) → spoken');
    await dictate(s);
    const [entry] = await s.transcripts(1);
    expect(entry!.raw).toMatch(HEARD);
    expect(entry).toMatchObject({
      text: fullChain(entry!.raw),
      applied: ['replacements', 'spoken'],
    });
    expect(entry!.text).toMatch(/^Hello, World\./);
    await expect.poll(() => readClipboard(x.env), { timeout: 10_000 }).toBe(entry!.text);
    expect((await s.whis(['last'])).stdout).toBe(`${entry!.text}\n`);
    expect((await s.whis(['last', '--raw'])).stdout).toBe(`${entry!.raw}\n`);
    // `whis config` shows the pairs as they are set
    expect((await s.whis(['config', 'get', 'replacements'])).stdout).toBe(
      'hello world=Hello, World;one two three=1-2-3\n',
    );
  }, 120_000);

  it('a profile for xterm applies there (replacements only) and not in a GTK window', async () => {
    const s = await configured([
      ['outputs', 'type'],
      ['postProcess', 'replacements,spoken'],
      ['finalPunctuation', 'add'],
      ['replacements', REPLACEMENTS],
      ['profiles', '{"xterm,urxvt":{"postProcess":["replacements"],"finalPunctuation":"remove"}}'],
    ]);
    const terminal = await openXterm(x);
    try {
      await dictate(s);
      const [inTerminal] = await s.transcripts(1);
      expect(inTerminal!.raw).toMatch(HEARD);
      // replacements only, and no final period
      expect(inTerminal).toMatchObject({
        text: replacementsOnly(inTerminal!.raw),
        applied: ['profile:xterm,urxvt', 'replacements'],
      });
      await idle(s);
      expect(await terminal.finish()).toBe(`${inTerminal!.text}\n`);
    } finally {
      await terminal.stop();
    }
    const entry = await openEntry(x);
    try {
      await dictate(s);
      const [inEntry] = await s.transcripts(2);
      expect(inEntry!.raw).toMatch(HEARD);
      // elsewhere the whole chain, and the final period the settings ask for
      expect(inEntry).toMatchObject({
        text: `${fullChain(inEntry!.raw)}.`,
        applied: ['replacements', 'spoken', 'final:add'],
      });
      await idle(s);
      expect(await entry.submit()).toBe(inEntry!.text);
    } finally {
      await entry.stop();
    }
  }, 180_000);
});
