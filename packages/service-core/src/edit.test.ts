import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WhisError } from '@whis/contracts';
import type { ServiceEvent } from '@whis/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServiceHost, type ServiceHost, type ServiceHostOptions } from './host.js';
import { createJournal, type Journal } from './journal.js';
import {
  FakeAudioSource,
  FixedSelection,
  ManualTrigger,
  MemoryOutput,
  ScriptedEditor,
  ScriptedProcessor,
  ScriptedTranscriber,
} from './testing.js';

// Edit by voice through the host: the edit action's recording is an instruction; the selection read
// at the press and the instruction go to the editor; its answer goes to the output, and the journal
// keeps all three.

class ModelDown extends WhisError<'edit', 'model-unreachable'> {
  constructor() {
    super(
      'ModelDown',
      'edit',
      'model-unreachable',
      'The chat model at http://127.0.0.1:9/v1 could not be reached.',
    );
  }
}

let dir: string;
let audio: FakeAudioSource;
let output: MemoryOutput;
let segmentOutput: MemoryOutput;
let journal: Journal;
let trigger: ManualTrigger;
let selection: FixedSelection;
let editor: ScriptedEditor;
let processor: ScriptedProcessor;
let host: ServiceHost;
let events: ServiceEvent[];

function makeHost(overrides: Partial<ServiceHostOptions> = {}): ServiceHost {
  const made = createServiceHost({
    audio,
    transcriber: new ScriptedTranscriber(),
    output,
    segmentOutput,
    processor,
    journal,
    triggers: [trigger],
    edit: { selection, editor, hotkey: 'ctrl+alt+shift+e', selectionMode: 'auto' },
    info: { version: '9.9.9', hotkey: 'ctrl+shift+r' },
    ...overrides,
  });
  made.subscribe((e) => events.push(e));
  return made;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-edit-'));
  audio = new FakeAudioSource();
  output = new MemoryOutput();
  segmentOutput = new MemoryOutput();
  journal = createJournal({ directory: join(dir, 'recordings') });
  trigger = new ManualTrigger('test keys');
  selection = new FixedSelection('hey can u send it');
  editor = new ScriptedEditor();
  processor = new ScriptedProcessor();
  events = [];
  host = makeHost();
});
afterEach(async () => {
  await host.shutdown();
  await rm(dir, { recursive: true, force: true });
});

// the recording's transcript or its error has been announced
const settled = (id: string) =>
  expect
    .poll(() =>
      events.some(
        (e) =>
          (e.type === 'transcript' && e.recordingId === id) ||
          (e.type === 'error' && e.error.recordingId === id),
      ),
    )
    .toBe(true);

async function speak(instruction: string, start = () => host.toggle({ action: 'edit' })) {
  const started = await start();
  expect(started.state).toBe('recording');
  await audio.current!.push(Buffer.from(instruction));
  const id = started.recordingId!;
  await host.toggle();
  await settled(id);
  await expect.poll(async () => (await host.status()).state).toBe('idle');
  return id;
}

describe('edit by voice', () => {
  it('replaces the selection with the answer to the spoken instruction, and keeps all three', async () => {
    const id = await speak('make it formal');
    expect(editor.requests).toMatchObject([
      { instruction: 'make it formal', selection: 'hey can u send it' },
    ]);
    expect(output.delivered).toEqual(['[make it formal] hey can u send it']);
    // status bars tell an edit from a dictation
    expect(events).toContainEqual({
      type: 'state',
      state: 'recording',
      recordingId: id,
      action: 'edit',
    });
    expect(events).toContainEqual({
      type: 'transcript',
      recordingId: id,
      text: '[make it formal] hey can u send it',
      raw: 'make it formal',
      edit: { outcome: 'replaced', instruction: 'make it formal' },
    });
    expect((await host.last(1)).transcripts).toMatchObject([
      {
        id,
        text: '[make it formal] hey can u send it',
        edit: {
          instruction: 'make it formal',
          selection: 'hey can u send it',
          outcome: 'replaced',
        },
      },
    ]);
    const status = await host.status();
    expect(status.edit).toMatchObject({
      hotkey: 'ctrl+alt+shift+e',
      endpoint: 'scripted editor',
      selection: 'auto',
      last: { outcome: 'replaced', recordingId: id },
    });
  });

  it('the selection is read when the key is pressed, once', async () => {
    const started = await host.toggle({ action: 'edit' });
    await expect.poll(() => selection.reads).toBe(1);
    // what is selected once the recording runs is not what the user pressed the key on
    selection.text = 'changed while speaking';
    await audio.current!.push(Buffer.from('shorter'));
    await host.toggle();
    await settled(started.recordingId!);
    expect(editor.requests[0]!.selection).toBe('hey can u send it');
    expect(selection.reads).toBe(1);
  });

  it('with nothing selected the instruction is a request to write, and the answer goes to the cursor', async () => {
    selection.text = '';
    const id = await speak('a polite reply saying I will be late');
    expect(output.delivered).toEqual(['[a polite reply saying I will be late]']);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'transcript',
        recordingId: id,
        edit: { outcome: 'written', instruction: 'a polite reply saying I will be late' },
      }),
    );
    expect((await host.status()).edit?.last?.outcome).toBe('written');
  });

  it('the trigger’s edit press and its finish (push-to-talk) make an edit', async () => {
    trigger.fire({ type: 'start', action: 'edit' });
    await expect.poll(() => audio.current).toBeDefined();
    expect((await host.status()).recording?.action).toBe('edit');
    await audio.current!.push(Buffer.from('fix the grammar'));
    const id = (await host.status()).recording!.id;
    trigger.fire({ type: 'finish' });
    await settled(id);
    expect(output.delivered).toEqual(['[fix the grammar] hey can u send it']);
  });

  it('the model down: the selection is left alone, the user is told why, the journal keeps selection and instruction', async () => {
    editor.failNext(new ModelDown());
    const id = await speak('make it formal');
    expect(output.delivered).toEqual([]);
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({
      error: { domain: 'edit', code: 'model-unreachable', recordingId: id },
    });
    expect(error?.type === 'error' && error.error.message).toMatch(
      /could not be reached.*left as it was/s,
    );
    expect((await host.last(1)).transcripts).toMatchObject([
      {
        id,
        text: '',
        edit: {
          instruction: 'make it formal',
          selection: 'hey can u send it',
          outcome: 'failed',
          error: expect.stringMatching(/could not be reached/),
        },
      },
    ]);
    expect((await host.status()).edit?.last?.outcome).toBe('failed');
  });

  it('the output failing: the answer is saved for `whis last --paste`', async () => {
    output.failNext(new Error('xdotool is not installed.'));
    const id = await speak('make it formal');
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      error: {
        domain: 'output',
        recordingId: id,
        message: expect.stringMatching(/whis last --paste/),
      },
    });
    expect((await host.last(1)).transcripts[0]).toMatchObject({
      text: '[make it formal] hey can u send it',
      edit: { outcome: 'saved', selection: 'hey can u send it' },
    });
    expect((await host.status()).edit?.last?.outcome).toBe('saved');
  });

  it('no instruction heard: nothing is sent to the model', async () => {
    await host.shutdown();
    host = makeHost({ transcriber: new ScriptedTranscriber().succeed('') });
    const id = await speak('inaudible');
    expect(editor.requests).toEqual([]);
    expect(output.delivered).toEqual([]);
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      error: { domain: 'edit', code: 'no-instruction', recordingId: id },
    });
  });

  it('a selection that cannot be read (too large) ends the recording at once, with the reason', async () => {
    class TooLarge extends WhisError<'output', 'selection-too-large'> {
      constructor() {
        super(
          'TooLarge',
          'output',
          'selection-too-large',
          'The selection is 25,000 characters; an edit takes at most 20,000. Select less.',
        );
      }
    }
    selection.failNext(new TooLarge());
    const started = await host.toggle({ action: 'edit' });
    await expect.poll(async () => (await host.status()).state).toBe('idle');
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      error: {
        domain: 'output',
        code: 'selection-too-large',
        message: expect.stringMatching(/Select less/),
      },
    });
    expect(editor.requests).toEqual([]);
    expect(output.delivered).toEqual([]);
    await expect.poll(() => journal.get(started.recordingId!)).toBeUndefined();
  });

  it('the instruction is neither typed while spoken nor post-processed', async () => {
    const started = await host.toggle({ action: 'edit' });
    await audio.current!.push(Buffer.from('make it formal'));
    audio.current!.cut();
    await expect.poll(() => events.some((e) => e.type === 'transcript.segment')).toBe(true);
    await host.toggle();
    await settled(started.recordingId!);
    expect(segmentOutput.delivered).toEqual([]);
    expect(processor.calls).toEqual([]);
    // a dictation after it is typed and processed as before
    await host.toggle();
    await audio.current!.push(Buffer.from('hello'));
    await host.toggle();
    await expect.poll(() => output.delivered.at(-1)).toBe('HELLO');
  });

  it('without a chat model the edit key says how to set one up, and nothing records', async () => {
    await host.shutdown();
    host = makeHost({
      edit: {
        selection,
        problem:
          'Editing by voice needs a chat model: `whis config set llmBaseURL http://127.0.0.1:11434/v1`.',
      },
    });
    await expect(host.toggle({ action: 'edit' })).rejects.toMatchObject({
      code: 'edit-unavailable',
    });
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      error: {
        domain: 'edit',
        code: 'edit-unavailable',
        message: expect.stringMatching(/llmBaseURL/),
      },
    });
    expect(audio.current).toBeUndefined();
    expect(selection.reads).toBe(0);
    expect((await host.status()).edit?.problem).toMatch(/chat model/);
    // dictation still works
    expect((await host.toggle()).state).toBe('recording');
  });

  it('a service without edit parts refuses an edit, and says so', async () => {
    await host.shutdown();
    host = makeHost({ edit: undefined });
    await expect(host.toggle({ action: 'edit' })).rejects.toMatchObject({
      code: 'edit-unavailable',
      message: expect.stringMatching(/edit/i),
    });
  });

  it('`retry` of an edit whose instruction failed to upload runs the edit again on the kept selection, without delivering', async () => {
    await host.shutdown();
    const transcriber = new ScriptedTranscriber();
    host = makeHost({ transcriber });
    transcriber.fail(new Error('HTTP 503'));
    const id = await speak('make it formal');
    expect((await journal.get(id))?.state).toBe('failed');
    selection.text = 'something else now';
    const retried = await host.retry(id);
    expect(retried.text).toBe('[make it formal] hey can u send it');
    // the selection is not on the screen any more: the answer waits in `whis last`
    expect(output.delivered).toEqual([]);
    expect((await host.last(1)).transcripts[0]).toMatchObject({
      text: '[make it formal] hey can u send it',
      edit: { selection: 'hey can u send it', instruction: 'make it formal', outcome: 'saved' },
    });
  });
});
