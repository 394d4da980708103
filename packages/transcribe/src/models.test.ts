import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTranscriptionServer, type TranscriptionServer } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkModel, DEFAULT_MODEL, modelFamily, resolveModels } from './models.js';
import { resolveTranscriberOptions } from './options.js';
import { createTranscriber, type AudioChunkInput } from './transcriber.js';

let dir: string;
let chunk: AudioChunkInput;
let server: TranscriptionServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whis-models-'));
  chunk = { path: join(dir, 'a.mp3'), mimeType: 'audio/mpeg', durationMs: 1000 };
  await writeFile(chunk.path, Buffer.alloc(500, 1));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const RETIRED = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'];
const answer = () => ({ status: 200, body: JSON.stringify({ text: 'hello' }) });

describe('model families', () => {
  it('knows the current, live and legacy models, and lets any other name through', () => {
    expect(DEFAULT_MODEL).toBe('gpt-transcribe');
    expect(modelFamily('gpt-transcribe')).toBe('current');
    expect(modelFamily('gpt-live-transcribe')).toBe('live');
    expect(modelFamily('whisper-1')).toBe('legacy');
    expect(modelFamily('whisper-large-v3-turbo')).toBe('other');
    expect(checkModel('gpt-transcribe')).toEqual({});
    expect(checkModel('whisper-large-v3-turbo')).toEqual({});
    expect(checkModel('whisper-1').warning).toMatch(
      /2027-02-26.*whis config set model gpt-transcribe/,
    );
    expect(checkModel('gpt-live-transcribe').error).toBeUndefined();
    expect(checkModel('gpt-live-transcribe').warning).toMatch(/Realtime.*gpt-transcribe/);
    expect(checkModel('two words').error).toMatch(/not a model name/);
  });
});

describe('mode and model together', () => {
  it('a live model chooses realtime; realtime mode picks the live model for OpenAI names only', () => {
    expect(resolveModels({})).toEqual({ mode: 'file', fileModel: 'gpt-transcribe' });
    expect(resolveModels({ model: 'gpt-live-transcribe' })).toEqual({
      mode: 'realtime',
      fileModel: 'gpt-transcribe',
      liveModel: 'gpt-live-transcribe',
    });
    expect(resolveModels({ mode: 'realtime' })).toEqual({
      mode: 'realtime',
      fileModel: 'gpt-transcribe',
      liveModel: 'gpt-live-transcribe',
    });
    // a self-hosted server serves both paths with its own model
    expect(resolveModels({ mode: 'realtime', model: 'Systran/faster-whisper-small' })).toEqual({
      mode: 'realtime',
      fileModel: 'Systran/faster-whisper-small',
      liveModel: 'Systran/faster-whisper-small',
    });
    expect(resolveModels({ mode: 'file', model: 'whisper-1' }).mode).toBe('file');
  });
});

describe('the multipart fields that reach the server', () => {
  it('gpt-transcribe (the default): prompt, keywords[] and languages[], nothing legacy', async () => {
    server = await startTranscriptionServer(answer);
    const options = resolveTranscriberOptions({
      env: {},
      settings: { apiKey: 'k', baseURL: server.baseURL, language: 'en, de', prompt: 'A talk' },
      flags: { keywords: ['whis', 'Kubernetes'] },
    });
    expect(await createTranscriber(options).transcribe([chunk])).toEqual({ text: 'hello' });
    const { file: _file, ...fields } = server.requests[0]!.fields;
    expect(fields).toEqual({
      model: 'gpt-transcribe',
      prompt: 'A talk',
      'keywords[]': ['whis', 'Kubernetes'],
      'languages[]': ['en', 'de'],
    });
  });

  it('a legacy model: one language, keywords folded into the prompt, response_format json', async () => {
    server = await startTranscriptionServer(answer);
    const t = createTranscriber({
      apiKey: 'k',
      baseURL: server.baseURL,
      model: 'whisper-1',
      language: 'en,de',
      prompt: 'A talk',
      keywords: ['whis'],
    });
    await t.transcribe([chunk]);
    expect(server.requests[0]!.fields).toEqual({
      model: 'whisper-1',
      response_format: 'json',
      language: 'en',
      prompt: 'A talk whis',
    });
  });

  it("another endpoint's model name is sent with the legacy fields", async () => {
    server = await startTranscriptionServer(answer);
    await createTranscriber({
      apiKey: 'k',
      baseURL: server.baseURL,
      model: 'whisper-large-v3-turbo',
      language: 'fr',
    }).transcribe([chunk]);
    expect(server.requests[0]!.fields).toEqual({
      model: 'whisper-large-v3-turbo',
      response_format: 'json',
      language: 'fr',
    });
  });
});

describe('context from the previous segment', () => {
  it('goes into the prompt after the configured one, its last 800 characters', async () => {
    server = await startTranscriptionServer(answer);
    const t = createTranscriber({ apiKey: 'k', baseURL: server.baseURL, prompt: 'A talk.' });
    await t.transcribe([chunk], { context: `${'x'.repeat(1000)} the end` });
    const prompt = server.requests[0]!.prompt!;
    expect(prompt.startsWith('A talk. ')).toBe(true);
    expect(prompt.endsWith(' the end')).toBe(true);
    expect(prompt).toHaveLength('A talk. '.length + 800);
  });
});

describe('a model the endpoint no longer serves', () => {
  it('404 model_not_found names the model and the fix, and is not retried', async () => {
    server = await startTranscriptionServer(answer, { retiredModels: RETIRED });
    const t = createTranscriber({ apiKey: 'k', baseURL: server.baseURL, model: 'whisper-1' });
    await expect(t.transcribe([chunk])).rejects.toMatchObject({
      code: 'model-unavailable',
      status: 404,
      message: expect.stringMatching(
        /"whisper-1".*shut it down on 2027-02-26.*whis config set model gpt-transcribe.*whis retry/,
      ),
    });
    expect(server.requests).toHaveLength(1);
  });

  it('with no model configured, a transcription succeeds against a server that retired the old ones', async () => {
    server = await startTranscriptionServer(answer, { retiredModels: RETIRED });
    const options = resolveTranscriberOptions({
      env: {},
      settings: { apiKey: 'k', baseURL: server.baseURL },
    });
    expect(await createTranscriber(options).transcribe([chunk])).toEqual({ text: 'hello' });
    expect(server.requests[0]!.model).toBe('gpt-transcribe');
  });
});
