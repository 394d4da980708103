import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { xdotool } from '@whis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  createSandbox,
  openTerminal,
  sandboxProcesses,
  startRig,
  watchOutput,
  type Rig,
  type Sandbox,
} from './internal/harness.js';

const PHRASE = 'one two three four five';
let rig: Rig;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  rig = await startRig(PHRASE);
}, 60_000);
afterAll(async () => {
  // the display and the sound server are stopped even when a sandbox cannot be removed
  try {
    for (const s of sandboxes) await s.cleanup();
  } finally {
    await rig?.stop();
  }
});

/** A sandbox with the display and the microphone but no key and no endpoint: setup gives them. */
async function emptySandbox(): Promise<Sandbox> {
  const s = await createSandbox({
    ...rig.env,
    OPENAI_API_KEY: '',
    OPENAI_BASE_URL: '',
  });
  sandboxes.push(s);
  return s;
}

async function settingsOf(s: Sandbox) {
  const file = join(s.env.XDG_CONFIG_HOME!, 'whis', 'settings.json');
  return { json: JSON.parse(await readFile(file, 'utf8')), mode: (await stat(file)).mode & 0o777 };
}

describe('whis setup', () => {
  it('with flags only, no terminal: saves every answer and ends with a test dictation', async () => {
    const s = await emptySandbox();
    const child = s.spawnWhis([
      'setup',
      '--api-key',
      'sk-flags',
      '--base-url',
      rig.server.baseURL,
      '--model',
      'gpt-transcribe',
      '--output',
      'paste',
      '--hotkey',
      'ctrl+alt+space',
      '--notify',
      'all',
      '--sounds',
      'stop,error',
      '--pause-media',
      '--test-seconds',
      '5',
    ]);
    const output = watchOutput(child);
    await output.waitFor(/Recording for 5 s/, 30_000);
    await rig.mic.play(rig.phraseWav);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(output.text()).toContain(`${PHRASE}\n`);
    expect(output.text()).toContain('paste with xdotool (X11 session).');
    expect(code).toBe(0);
    const { json, mode } = await settingsOf(s);
    expect(json).toEqual({
      // a key given and no mode: an API, the file engine
      mode: 'file',
      apiKey: 'sk-flags',
      baseURL: rig.server.baseURL,
      model: 'gpt-transcribe',
      outputs: ['paste'],
      hotkey: 'ctrl+alt+space',
      notify: 'all',
      sounds: ['stop', 'error'],
      pauseMedia: true,
    });
    expect(mode).toBe(0o600);
  }, 90_000);

  it('without a key, and nothing to ask with: says which flag to give, exit 2', async () => {
    const s = await emptySandbox();
    const result = await s.whis(['setup', '--yes']);
    expect(result.code).toBe(2);
    // both ways are named: this computer (a model download is never started unasked) or a key
    expect(result.stderr).toMatch(/--mode local/);
    expect(result.stderr).toMatch(/--api-key/);
  });

  it('in a real terminal (tmux), from an empty config to a finished test dictation', async () => {
    const s = await emptySandbox();
    const command = [process.execPath, CLI, 'setup'].map((a) => `'${a}'`).join(' ');
    const terminal = await openTerminal(s, `${command}; echo "setup exited $?"; sleep 60`);
    const { waitFor } = terminal;
    const keys = (...k: string[]) => terminal.keys(...k);
    try {
      // this computer is offered first; the API is the second choice
      await waitFor(/Where should speech become text\?/);
      await waitFor(/On this computer \(private, offline; a \d+ MB download\)/);
      await keys('Down');
      await keys('Enter');
      // the providers, each with where its key is made; OpenAI (or a compatible endpoint) first
      await waitFor(/Whose API\?[\s\S]*Deepgram[\s\S]*console\.deepgram\.com/);
      await keys('Enter');
      await waitFor(/API key/);
      await keys('-l', 'sk-tmux');
      await keys('Enter');
      await waitFor(/Endpoint/);
      await keys('-l', rig.server.baseURL);
      await keys('Enter');
      await waitFor(/Model/);
      await keys('Enter');
      await waitFor(/Microphone/);
      await keys('Enter');
      await waitFor(/level [█░]+/);
      await waitFor(/works \(loudest/);
      await waitFor(/Where should the text go\?/);
      await keys('Enter');
      await waitFor(/Hotkey/);
      await keys('Enter');
      await waitFor(/Press ctrl\+shift\+r now/);
      await new Promise((r) => setTimeout(r, 500)); // the listener starts
      await xdotool(rig.x, ['key', 'ctrl+shift+r']);
      await waitFor(/The hotkey works\./);
      await waitFor(/Desktop notifications/);
      await keys('Enter');
      await waitFor(/Play a short sound/);
      await keys('Enter');
      await waitFor(/Pause music and videos/);
      await keys('Enter');
      await waitFor(/Recording… press Enter to stop/);
      await rig.mic.play(rig.phraseWav);
      await keys('Enter');
      const done = await waitFor(/All set/, 30_000);
      expect(done).toContain(PHRASE);
      await waitFor(/setup exited 0/);
      // nothing setup started is left (the terminal's shell and its sleep aside; xclip serves the
      // clipboard until another copy takes it)
      const left = async () =>
        (await sandboxProcesses(s, ['tmux: server', 'sh', 'bash', 'sleep', 'xclip'])).map(
          (p) => `${p.pid} ${p.comm}`,
        );
      await expect.poll(left, { timeout: 10_000 }).toEqual([]);
      expect((await settingsOf(s)).json).toEqual({
        mode: 'file',
        provider: 'openai',
        apiKey: 'sk-tmux',
        baseURL: rig.server.baseURL,
        model: 'gpt-transcribe',
        outputs: ['clipboard'],
        hotkey: 'ctrl+shift+r',
        notify: 'errors',
        pauseMedia: false,
      });
    } finally {
      await terminal.close();
    }
  }, 120_000);
});
