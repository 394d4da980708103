import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  parseSettings,
  SETTING_KEYS,
  type SettingKey,
  type Settings,
} from '@whis/config';
import {
  createFeedbackShared,
  CUES,
  feedbackSettingsFrom,
  NOTIFY_LEVELS,
  synthesizeCue,
} from '@whis/feedback';
import { KEYBOARDS } from '@whis/output';
import { planChain, STEPS } from '@whis/postprocess';
import { MemoryLogger } from '@whis/service-core/testing';
import { startTranscriptionServer } from '@whis/testkit';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINES,
  FEEDBACK,
  MICROPHONES,
  OUTPUTS,
  outputNeeds,
  rowsInForce,
  EDIT,
  TRIGGERS,
} from './catalogue/index.js';
import { composeService } from './compose.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-catalogue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const compose = (settings: Settings, outputs?: string[]) =>
  composeService({
    settings,
    source: { fixed: { ...settings, apiKey: 'sk-test' } },
    defaultTranscriptFile: join(dir, 'transcripts.txt'),
    env: { PATH: process.env.PATH },
    ...(outputs ? { outputs } : {}),
  });

describe('the catalogue', () => {
  // the allowed values of each setting that names parts, against the table of the part's owner
  const owners: Array<[SettingKey, string, readonly string[], (name: string) => unknown]> = [
    ['outputs', "the catalogue's outputs", Object.keys(OUTPUTS), (name) => [name]],
    ['hotkeyBackend', "the catalogue's triggers", Object.keys(TRIGGERS), (name) => name],
    ['mode', "the catalogue's engines", Object.keys(ENGINES), (name) => name],
    ['typeTool', "@whis/output's keyboards", Object.keys(KEYBOARDS), (name) => name],
    ['postProcess', "@whis/postprocess's steps", Object.keys(STEPS), (name) => [name]],
    ['notify', "@whis/feedback's notification levels", NOTIFY_LEVELS, (name) => name],
    ['sounds', "@whis/feedback's cues", CUES, (name) => [name]],
  ];
  it.each(owners)('%s accepts exactly the names of %s', (key, _owner, names, value) => {
    expect(SETTING_KEYS[key].choices).toEqual(names);
    for (const name of names) expect(parseSettings({ [key]: value(name) }, 'f')).toBeDefined();
    expect(() => parseSettings({ [key]: value('nothing') }, 'f')).toThrow(
      `"${key}" takes ${Array.isArray(value('x')) ? 'a list of ' : 'one of '}${names.join(', ')}`,
    );
    // and each is explained where the setting is
    for (const name of names) expect(SETTING_KEYS[key].description).toContain(name);
  });

  it("the names each owner's tables are typed against are the ones it acts on", async () => {
    // feedback: a level of the settings is the level feedback uses, a cue one it can play
    for (const notify of NOTIFY_LEVELS)
      expect(feedbackSettingsFrom({ notify }).notify).toBe(notify);
    for (const cue of CUES) expect(synthesizeCue(cue).length).toBeGreaterThan(0);
    // post-processing: each step and each final punctuation, in the chain as in a profile
    for (const step of Object.keys(STEPS))
      expect(planChain({ postProcess: [step] }).steps).toEqual([step]);
    const finals = SETTING_KEYS.finalPunctuation.choices!;
    for (const finalPunctuation of finals) {
      expect(planChain({ finalPunctuation }).finalPunctuation).toBe(finalPunctuation);
      expect(
        parseSettings(
          { profiles: { xterm: { finalPunctuation, postProcess: Object.keys(STEPS) } } },
          'f',
        ),
      ).toBeDefined();
    }
    expect(() => planChain({ finalPunctuation: 'period' })).toThrow(
      `finalPunctuation takes ${finals.join(', ')}`,
    );
    expect(() => parseSettings({ finalPunctuation: 'period' }, 'f')).toThrow(
      `"finalPunctuation" takes one of ${finals.join(', ')}`,
    );
  });

  it('what outputs need follows from their rows', () => {
    expect(outputNeeds(['stdout', 'file', 'command'])).toEqual({
      display: false,
      clipboard: false,
      keyboard: false,
    });
    expect(outputNeeds(['paste'])).toEqual({ display: true, clipboard: true, keyboard: true });
    expect(outputNeeds(['clipboard', 'type'])).toEqual({
      display: true,
      clipboard: true,
      keyboard: true,
    });
  });
});

describe('composeService', () => {
  it('an output no row has is an error that names the ones there are (never a quiet clipboard)', () => {
    // settings that did not come through a read (a library user's own object)
    const printer = { outputs: ['printer'] } as unknown as Settings;
    expect(() => compose(printer)).toThrow(ConfigError);
    expect(() => compose(printer)).toThrow(
      /Unknown output "printer": outputs takes clipboard, paste, type, stdout, file, command/,
    );
  });

  it('builds each output of the settings from its row, and delivers to all of them', async () => {
    const file = join(dir, 'out.txt');
    const piped = join(dir, 'piped.txt');
    const parts = compose({
      outputs: ['file', 'command'],
      outputFile: file,
      outputCommand: `cat > '${piped}'`,
    });
    expect(parts.output.name).toBe(`file ${file} + command cat > '${piped}'`);
    await parts.output.deliver('hello world');
    expect(await readFile(file, 'utf8')).toBe('hello world\n');
    expect(await readFile(piped, 'utf8')).toBe('hello world');
    await parts.close();
  });

  it('a failing command is a failed delivery that names the command and says what it printed', async () => {
    const parts = compose({ outputs: ['command'], outputCommand: 'echo nope >&2; exit 3' });
    await expect(parts.output.deliver('x')).rejects.toMatchObject({
      code: 'tool-failed',
      message: 'The output command `echo nope >&2; exit 3` failed (3): nope',
    });
    await parts.close();
  });

  it('status problems: the command output without a command, from the row', async () => {
    const parts = compose({ outputs: ['command'] });
    expect(await parts.problems()).toEqual([
      'The command output has no command: `whis config set outputCommand "tee -a ~/notes.md"`.',
    ]);
    await parts.close();
  });

  it('typeSegments: the type output types segments and leaves the whole transcript to the rest', async () => {
    const parts = compose({ outputs: ['type', 'stdout'], typeSegments: true });
    expect(parts.output.name).toBe('stdout');
    expect(parts.segmentOutput?.name).toMatch(/^type/);
    await parts.close();
  });

  it('builds the engine `mode` names and no other; realtime brings the file engine for its misses', async () => {
    const file = compose({ mode: 'file' });
    expect(file.engine).toBe('file');
    expect(file.live).toBeUndefined();
    const live = compose({ mode: 'realtime' });
    expect(live.engine).toBe('realtime');
    expect(live.live).toBeDefined();
    expect(live.transcriber).toBeDefined();
    // a live model is realtime whatever the mode says, as the transcription library reads it
    expect(compose({ model: 'gpt-live-transcribe' }).engine).toBe('realtime');
    expect(await live.transcription()).toBe(
      'realtime, gpt-live-transcribe (missed segments uploaded with gpt-transcribe)',
    );
    await Promise.all([file.close(), live.close()]);
  });

  it('the rows in force: one of each kind the settings name, every one answering the same questions', () => {
    const settings: Settings = {
      outputs: ['clipboard', 'stdout'],
      hotkeyBackend: 'none',
      mode: 'realtime',
      sounds: ['start'],
      postProcess: ['fillers'],
    };
    const rows = rowsInForce(settings, {});
    expect(rows).toEqual([
      MICROPHONES.microphone,
      OUTPUTS.clipboard,
      OUTPUTS.stdout,
      TRIGGERS.none,
      ENGINES.realtime,
      FEEDBACK.notifications,
      FEEDBACK.cues,
      expect.objectContaining({ summary: expect.stringMatching(/post-processing/) }),
      EDIT,
    ]);
    for (const row of rows) {
      expect(typeof row.describe).toBe('function');
      expect(typeof row.problems).toBe('function');
      expect(typeof row.probe).toBe('function');
    }
  });

  it('each feedback row makes its own part, and only when the settings turn it on', async () => {
    const context = {
      settings: { notify: 'off', sounds: ['error'] } as Settings,
      logger: new MemoryLogger(),
      env: {},
      defaultTranscriptFile: join(dir, 't.txt'),
    };
    const shared = createFeedbackShared({ env: {} });
    expect(FEEDBACK.notifications.create(context, shared)).toBeUndefined();
    expect(FEEDBACK.media.create(context, shared)).toBeUndefined();
    const cues = FEEDBACK.cues.create(context, shared);
    expect(cues).toMatchObject({
      handle: expect.any(Function),
      afterCapture: expect.any(Function),
    });
    await cues?.close?.();
    shared.close();
  });

  it('the one-shot: no outputs, no trigger', async () => {
    const parts = compose({ outputs: ['clipboard'] }, []);
    expect(parts.output.name).toBe('no output');
    expect(parts.triggers).toEqual([]);
    await parts.close();
  });
});

describe('the file engine, reading the settings file for each transcription', () => {
  it('logs "transcriber configured" once per new model or endpoint: the line the log reader relies on', async () => {
    const server = await startTranscriptionServer(() => ({
      status: 200,
      body: JSON.stringify({ text: 'hello' }),
    }));
    try {
      const settingsFile = join(dir, 'settings.json');
      const audio = join(dir, 'a.wav');
      await writeFile(audio, Buffer.alloc(64));
      const chunk = { path: audio, mimeType: 'audio/wav', startMs: 0, durationMs: 1000, bytes: 64 };
      const write = (model: string) =>
        writeFile(settingsFile, JSON.stringify({ apiKey: 'sk-x', baseURL: server.baseURL, model }));
      const logger = new MemoryLogger();
      const { transcriber } = ENGINES.file.create({ logger, env: {} }, { file: settingsFile });
      await write('whisper-1');
      expect((await transcriber.transcribe([chunk])).text).toBe('hello');
      expect((await transcriber.transcribe([chunk])).text).toBe('hello');
      await write('gpt-transcribe');
      await transcriber.transcribe([chunk]);
      expect(logger.find('transcriber configured').map((l) => l.fields.model)).toEqual([
        'whisper-1',
        'gpt-transcribe',
      ]);
      expect(logger.find('transcriber configured')[0]!.fields.baseURL).toBe(server.baseURL);
    } finally {
      await server.close();
    }
  });
});

describe('edit by voice', () => {
  const probe = (settings: Settings, env: NodeJS.ProcessEnv = {}) =>
    EDIT.probe({ settings, env }).then((checks) => checks[0]!);

  it('says where the selection goes, and whether that is this machine', async () => {
    const local = await probe({ llmBaseURL: 'http://127.0.0.1:11434/v1', llmModel: 'llama3.2' });
    expect(local).toMatchObject({ ok: true, required: false });
    expect(local.detail).toMatch(/http:\/\/127\.0\.0\.1:11434\/v1 \(llama3\.2\), on this machine/);
    const remote = await probe({ apiKey: 'sk-x' });
    expect(remote.detail).toMatch(
      /https:\/\/api\.openai\.com\/v1 \(gpt-5-mini\), which is not on this machine/,
    );
  });

  it('without a chat model the service refuses edits with the fix, a local model first', async () => {
    const check = await probe({});
    expect(check).toMatchObject({ ok: false, required: false });
    expect(check.fix).toMatch(/Ollama.*llmBaseURL http:\/\/127\.0\.0\.1:11434\/v1/);
    const parts = EDIT.create({ settings: {}, env: {}, logger: new MemoryLogger() });
    expect(parts.editor).toBeUndefined();
    expect(parts.problem).toBe(check.fix);
  });

  it('the edit key: the default, another, or none', () => {
    const key = (settings: Settings) =>
      EDIT.create({
        settings: { ...settings, apiKey: 'sk-x' },
        env: {},
        logger: new MemoryLogger(),
      }).hotkey;
    expect(key({})).toBe('ctrl+alt+shift+e');
    expect(key({ editHotkey: 'f9' })).toBe('f9');
    expect(key({ editHotkey: 'none' })).toBeNull();
  });

  it('a hotkey that is the edit key’s default chord keeps the dictation key; the edit key says why it is off', () => {
    const logger = new MemoryLogger();
    const parts = composeService({
      settings: { apiKey: 'sk-x', hotkey: 'ctrl+alt+shift+e' },
      source: { fixed: { apiKey: 'sk-x' } },
      defaultTranscriptFile: '/tmp/whis-unused.txt',
      logger,
      env: {},
      edit: true,
      trigger: { hotkey: 'ctrl+alt+shift+e', pushToTalk: false, backend: 'x11' },
    });
    expect(parts.triggers).toHaveLength(1);
    expect(parts.triggers[0]!.description).not.toMatch(/edit/);
    expect(parts.edit?.key?.()?.problem).toMatch(/editHotkey/);
  });
});
