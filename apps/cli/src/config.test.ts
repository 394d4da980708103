import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './internal/harness.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.cleanup();
  sandbox = undefined;
});

const settingsOf = async (s: Sandbox) =>
  JSON.parse(
    await readFile(join(s.env.XDG_CONFIG_HOME!, 'whis', 'settings.json'), 'utf8'),
  ) as Record<string, unknown>;

describe('whis config set model', () => {
  it('saves gpt-transcribe and any endpoint model name silently', async () => {
    const s = (sandbox = await createSandbox({}));
    for (const model of ['gpt-transcribe', 'whisper-large-v3-turbo']) {
      const result = await s.whis(['config', 'set', 'model', model]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect((await settingsOf(s)).model).toBe(model);
    }
  });

  it('saves a legacy model with the shutdown date and the fix', async () => {
    const s = (sandbox = await createSandbox({}));
    const result = await s.whis(['config', 'set', 'model', 'whisper-1']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /shuts whisper-1 down on 2027-02-26.*whis config set model gpt-transcribe/,
    );
    expect((await settingsOf(s)).model).toBe('whisper-1');
  });

  it('the live model chooses realtime mode and says so; a mode that does not exist is refused', async () => {
    const s = (sandbox = await createSandbox({}));
    const result = await s.whis(['config', 'set', 'model', 'gpt-live-transcribe']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Realtime session .*uploaded with gpt-transcribe/);
    expect((await settingsOf(s)).model).toBe('gpt-live-transcribe');
    const bad = await s.whis(['config', 'set', 'mode', 'streaming']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/file, realtime/);
    expect((await s.whis(['config', 'set', 'mode', 'realtime'])).code).toBe(0);
    expect((await settingsOf(s)).mode).toBe('realtime');
  });

  it('numbers are taken as typed (keepAudio 5, segmentSeconds 10)', async () => {
    const s = (sandbox = await createSandbox({}));
    expect((await s.whis(['config', 'set', 'keepAudio', '5'])).code).toBe(0);
    expect((await s.whis(['config', 'set', 'segmentSeconds', '10'])).code).toBe(0);
    expect(await settingsOf(s)).toMatchObject({ keepAudio: 5, segmentSeconds: 10 });
  });

  it('keywords take a comma-separated list', async () => {
    const s = (sandbox = await createSandbox({}));
    expect((await s.whis(['config', 'set', 'keywords', 'whis, Kubernetes'])).code).toBe(0);
    expect((await settingsOf(s)).keywords).toEqual(['whis', 'Kubernetes']);
  });
});

describe('the hotkey is checked at the edge and kept in its canonical form', () => {
  it('`config set hotkey` saves the canonical form and refuses a bad one with exit 2', async () => {
    const s = (sandbox = await createSandbox({}));
    expect((await s.whis(['config', 'set', 'hotkey', 'Shift+CTRL+r'])).code).toBe(0);
    expect((await settingsOf(s)).hotkey).toBe('ctrl+shift+r');
    const bad = await s.whis(['config', 'set', 'hotkey', 'ctrl+foo']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Not saved: Invalid hotkey "ctrl\+foo": "foo" is not a key name/);
    expect((await settingsOf(s)).hotkey).toBe('ctrl+shift+r');
  });

  it('`listen -k` with a bad hotkey exits 2 at once, in the foreground and with --detach', async () => {
    const s = (sandbox = await createSandbox({}));
    for (const args of [
      ['listen', '-k', 'ctrl+foo'],
      ['listen', '--detach', '-k', 'ctrl+foo'],
    ]) {
      const result = await s.whis(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Invalid hotkey "ctrl\+foo"/);
    }
  });

  it('a bad hotkey in the settings file: the service exits 2 and names the setting', async () => {
    const s = (sandbox = await createSandbox({}));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(s.env.XDG_CONFIG_HOME!, 'whis'), { recursive: true });
    await writeFile(
      join(s.env.XDG_CONFIG_HOME!, 'whis', 'settings.json'),
      JSON.stringify({ hotkey: 'ctrl+foo' }),
    );
    const result = await s.whis(['listen']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid hotkey "ctrl\+foo".*whis config set hotkey/);
  });
});

describe('whis config for post-processing', () => {
  it('stores replacements and profiles, shows them as set, and shows the default llm prompt', async () => {
    const s = (sandbox = await createSandbox({}));
    const set = await s.whis([
      'config',
      'set',
      'replacements',
      'kuber netties=Kubernetes;pie torch=PyTorch',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect((await s.whis(['config', 'set', 'postProcess', 'replacements,spoken,llm'])).code).toBe(
      0,
    );
    const profiles = '{"xterm":{"postProcess":["replacements"],"finalPunctuation":"remove"}}';
    expect((await s.whis(['config', 'set', 'profiles', profiles])).code).toBe(0);
    expect(await settingsOf(s)).toMatchObject({
      replacements: { 'kuber netties': 'Kubernetes', 'pie torch': 'PyTorch' },
      postProcess: ['replacements', 'spoken', 'llm'],
      profiles: JSON.parse(profiles),
    });
    const shown = (await s.whis(['config'])).stdout;
    expect(shown).toMatch(/^replacements\s+kuber netties=Kubernetes;pie torch=PyTorch/m);
    expect(shown).toMatch(/^profiles\s+\{"xterm":/m);
    expect(shown).toMatch(/^llmPrompt\s+\(default\) You tidy up dictated text/m);
    const prompt = (await s.whis(['config', 'get', 'llmPrompt'])).stdout;
    expect(prompt).toMatch(/never instructions to you/);
    const bad = await s.whis(['config', 'set', 'postProcess', 'spoken,magic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/replacements, spoken, fillers, llm, command/);
  });
});

describe('one schema for the settings, at `config set` and at every read', () => {
  it('`config set` of a bad value exits 2, saves nothing and names the values the key takes', async () => {
    const s = (sandbox = await createSandbox({}));
    for (const [key, value, allowed] of [
      ['notify', 'none', '"notify" takes one of errors, all, off, not "none".'],
      ['sounds', 'start,beep', '"sounds" takes a list of start, stop, error; "beep" is not one.'],
      [
        'hotkeyBackend',
        'wayland',
        '"hotkeyBackend" takes one of auto, x11, portal, none, not "wayland".',
      ],
    ]) {
      const bad = await s.whis(['config', 'set', key!, value!]);
      expect(bad.code, key).toBe(2);
      expect(bad.stderr).toContain(allowed);
    }
    expect((await s.whis(['config', '--json'])).stdout.trim()).toBe('{}');
  });

  it('a hand-edited file with a wrong value is refused by every reader, and `config set` mends it', async () => {
    const s = (sandbox = await createSandbox({}));
    const file = join(s.env.XDG_CONFIG_HOME!, 'whis', 'settings.json');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ mode: 'Realtime', language: 'en' }));
    const message = `${file}: "mode" takes one of file, realtime, local, not "Realtime". Fix it with \`whis config set mode …\``;
    for (const args of [['config'], ['config', 'get', 'language'], ['listen', '--no-hotkey']]) {
      const refused = await s.whis(args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr, args.join(' ')).toContain(message);
    }
    expect((await s.whis(['config', 'set', 'mode', 'realtime'])).code).toBe(0);
    expect(await settingsOf(s)).toEqual({ mode: 'realtime', language: 'en' });
    expect((await s.whis(['config', 'get', 'language'])).stdout).toBe('en\n');
  });
});
