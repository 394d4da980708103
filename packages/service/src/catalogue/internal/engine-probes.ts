// What the engines' rows try for `whis doctor`: a second of silence sent as a dictation is, to the
// endpoint (the file engine) and to a live session (the realtime engine).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '@whis/config';
import { wavFile, type Transcriber } from '@whis/contracts';
import {
  openRealtimeSession,
  resolveRealtimeOptions,
  type TranscriberOptions,
} from '@whis/transcribe';
import { required, optional, type Check } from '../row.js';

// the fix for each way the endpoint can refuse, by the error's code
const ENDPOINT_FIXES: Record<string, string> = {
  auth: 'Check the key: `whis config --api-key sk-…`.',
  forbidden: 'Check the key: `whis config --api-key sk-…`.',
  network: 'Check the network, or the endpoint: `whis config set baseURL …`.',
  timeout: 'Check the network, or the endpoint: `whis config set baseURL …`.',
};

/** The key, then the endpoint and the model in one request: a second of silence, one try. */
export async function probeUpload(
  build: () => {
    endpoint: string;
    defaultModel: string;
    options: TranscriberOptions;
    transcriber: Transcriber;
  },
): Promise<Check[]> {
  let engine;
  try {
    engine = build();
  } catch (err) {
    return [
      required({
        name: 'API key',
        ok: false,
        detail: 'none set',
        fix: (err as Error).message.replace(/^No API key\. /, ''),
      }),
    ];
  }
  const { options, transcriber, endpoint, defaultModel } = engine;
  const key = required({ name: 'API key', ok: true, detail: `set (…${options.apiKey.slice(-4)})` });
  const dir = await mkdtemp(join(tmpdir(), 'whis-doctor-'));
  try {
    const path = join(dir, 'silence.wav');
    const wav = wavFile(new Int16Array(16_000), 16_000);
    await writeFile(path, wav);
    const chunk = { path, mimeType: 'audio/wav', startMs: 0, durationMs: 1000, bytes: wav.length };
    await transcriber.transcribe([chunk], { signal: AbortSignal.timeout(20_000) });
    const detail = `${endpoint} accepts ${options.model}`;
    return [key, required({ name: 'Endpoint and model', ok: true, detail })];
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    return [
      key,
      required({
        name: 'Endpoint and model',
        ok: false,
        detail: `${endpoint}, model ${options.model}: ${(err as Error).message}`,
        fix:
          code === 'model-unavailable'
            ? `\`whis config set model ${defaultModel}\` (or a model your endpoint serves).`
            : (ENDPOINT_FIXES[code] ?? 'See the message; `whis logs` after a dictation has more.'),
      }),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A live session set up, a second of silence streamed and committed, its (empty) text back. Not
 * required: what the session misses is uploaded.
 */
export async function probeLiveSession(
  settings: Settings,
  env: NodeJS.ProcessEnv,
): Promise<Check[]> {
  const options = resolveRealtimeOptions({ env, settings });
  if (!options) return [];
  const where = `${options.baseURL ?? 'https://api.openai.com/v1'}/realtime, model ${options.model}`;
  let session: Awaited<ReturnType<typeof openRealtimeSession>> | undefined;
  try {
    session = await openRealtimeSession({ ...options, segmentTimeoutMs: 15_000 });
    session.append(new Int16Array(16_000), 0);
    session.end();
    await session.text(0);
    return [optional({ name: 'Live session', ok: true, detail: `${where}: set up and answered` })];
  } catch (err) {
    return [
      optional({
        name: 'Live session',
        ok: false,
        detail: `${where}: ${(err as Error).message}`,
        fix: "Dictations still work: each segment is uploaded instead. Check the model (`whis config set model gpt-live-transcribe`, or your server's), or `whis config set mode file`.",
      }),
    ];
  } finally {
    session?.close();
  }
}
