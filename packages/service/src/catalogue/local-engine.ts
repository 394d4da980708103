// The offline engine: speech becomes text on this machine (sherpa-onnx, in a child process that
// owns the model). Each segment is decoded from its 16 kHz PCM as it closes, through the same live
// port a Realtime session uses, so at stop only the tail is left; what the child could not decode
// (it died twice) is decoded again from the segment's file, and failing that the recording is kept
// for `whis retry`, as with an upload.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '@whis/config';
import type {
  AudioChunk,
  LiveSession,
  LiveSessionOptions,
  Logger,
  Transcriber,
} from '@whis/contracts';
import {
  createLocalTranscriber,
  DEFAULT_MODEL,
  findModel,
  MANIFEST,
  modelsDir,
  openInstalledModel,
  type LocalTranscriber,
} from '@whis/local';
import { currentSettings, type PartContext, type SettingsSource } from './context.js';
import type { EngineRow } from './engines.js';
import { required } from './row.js';

/** The local engine's own settings, with their defaults. */
function localOptions(settings: Settings) {
  return {
    name: settings.localModel ?? DEFAULT_MODEL,
    threads: settings.localThreads || undefined,
    idleMs: (settings.localIdleMinutes ?? 10) * 60_000,
  };
}

/** The model a setting names, as `whis status` and messages call it. */
export function localModelName(settings: Settings): string {
  return localOptions(settings).name;
}

/**
 * The pipeline closes a segment at the first pause past `segmentMs`, and at the latest 20% (at
 * least 2 s) later: segments for a model that decodes at most `maxSeconds` end before that.
 */
export function segmentMsFor(maxSeconds: number): number {
  const cap = maxSeconds * 1000;
  return Math.floor(Math.min(25_000, cap / 1.2, cap - 2000));
}

/** The recognizers of this process, by settings: one at a time, replaced when the settings change. */
class LocalRecognizers {
  private current: { key: string; recognizer: Promise<LocalTranscriber> } | undefined;
  /** The one in use, for `whis status` (loaded or not). */
  latest: LocalTranscriber | undefined;

  constructor(private readonly logger: Logger) {}

  get(settings: Settings): Promise<LocalTranscriber> {
    const options = localOptions(settings);
    const key = JSON.stringify(options);
    if (this.current?.key === key) return this.current.recognizer;
    const previous = this.current?.recognizer;
    void previous?.then((r) => r.close()).catch(() => undefined);
    const recognizer = openInstalledModel(options.name).then((model) => {
      const made = createLocalTranscriber({
        modelDir: model.dir,
        type: model.type,
        name: model.name,
        origin: model.origin,
        ...(options.threads ? { threads: options.threads } : {}),
        idleMs: options.idleMs,
        logger: this.logger,
      });
      this.latest = made;
      return made;
    });
    // a model that is not installed is told at the next use, not kept as the answer for ever
    recognizer.catch(() => {
      if (this.current?.recognizer === recognizer) this.current = undefined;
    });
    this.current = { key, recognizer };
    return recognizer;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.recognizer.then((r) => r.close()).catch(() => undefined);
  }
}

/** Segments of one recording decoded as they close; the text of each is also its live text. */
function localSession(
  recognizer: LocalTranscriber,
  events: LiveSessionOptions | undefined,
): LiveSession {
  const audio = new Map<number, Int16Array[]>();
  const texts = new Map<number, Promise<string>>();
  const stop = new AbortController();
  let open: number | undefined;
  const decode = (segment: number) => {
    if (texts.has(segment)) return;
    const parts = audio.get(segment) ?? [];
    audio.delete(segment);
    const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      samples.set(part, at);
      at += part.length;
    }
    const text = recognizer.transcribePcm(samples, 16_000, stop.signal).then((t) => {
      if (t) events?.onDelta?.(segment, t);
      return t;
    });
    text.catch(() => undefined);
    texts.set(segment, text);
  };
  return {
    segmentMs: segmentMsFor(recognizer.maxSegmentSeconds),
    append(pcm, segment) {
      if (open !== undefined && segment !== open) decode(open);
      open = segment;
      const parts = audio.get(segment) ?? [];
      parts.push(pcm);
      audio.set(segment, parts);
    },
    text(segment) {
      decode(segment);
      return texts.get(segment)!;
    },
    end() {
      if (open !== undefined) decode(open);
      open = undefined;
    },
    close() {
      stop.abort();
      audio.clear();
    },
  };
}

// The service reads its settings for each recording; the one-shot and `whis transcribe` once.
function recognizers(context: Pick<PartContext, 'logger'>): LocalRecognizers {
  return new LocalRecognizers(context.logger.child({ component: 'local' }));
}

/** The pid's resident memory, as `whis status` shows it ("1.1 GB"); undefined when gone. */
function residentSize(pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    if (!kb) return undefined;
    return kb > 1024 * 1024 ? `${(kb / 1024 / 1024).toFixed(1)} GB` : `${Math.round(kb / 1024)} MB`;
  } catch {
    return undefined;
  }
}

let inService: LocalRecognizers | undefined;

/** How long into a recording the model starts loading: after the microphone's first frames. */
const LOAD_DELAY_MS = 300;

/** sherpa-onnx's prebuilt Linux library needs glibc 2.32 (GLIBCXX 3.4.29); undefined off glibc. */
export const GLIBC_NEEDED = '2.32';
function glibcCheck(version = glibcVersion()) {
  if (version === undefined) return undefined;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = GLIBC_NEEDED.split('.').map(Number);
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  return required({
    name: 'C library',
    ok,
    detail: `glibc ${version}${ok ? '' : `: the offline engine's prebuilt library needs ${GLIBC_NEEDED} or newer`}`,
    ...(ok
      ? {}
      : {
          fix: 'Use a newer distribution (Debian 12, Ubuntu 22.04, Fedora 34 or later), or an API: `whis config set mode file`.',
        }),
  });
}
function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })
    ?.header;
  return header?.glibcVersionRuntime;
}

/** A Transcriber for files (a segment's chunk, `whis retry`, `whis transcribe FILE`). */
function fileTranscriber(recognizers: LocalRecognizers, source: SettingsSource): Transcriber {
  return {
    async transcribe(chunks: readonly AudioChunk[], options) {
      const recognizer = await recognizers.get(await currentSettings(source));
      return recognizer.transcribe(chunks, options);
    },
  };
}

/** The local engine for a command (`whis transcribe FILE`): the transcriber, the model's name, its cap. */
export async function localCommandEngine(
  settings: Settings,
  logger: Logger,
): Promise<{
  model: string;
  transcriber: Transcriber;
  maxSegmentSeconds: number;
  close(): Promise<void>;
}> {
  const made = new LocalRecognizers(logger);
  const recognizer = await made.get(settings);
  return {
    model: `${recognizer.name} (local)`,
    transcriber: recognizer,
    maxSegmentSeconds: recognizer.maxSegmentSeconds,
    close: () => made.close(),
  };
}

/** The row of `mode local`. */
export const local: EngineRow = {
  summary: 'on this computer, offline: a sherpa-onnx model in a process of its own',
  needs: 'model',
  offer(settings) {
    const model = findModel(localModelName(settings));
    const size = model
      ? `a ${Math.round(model.sizeBytes / 1_000_000)} MB download`
      : 'a model download';
    return `On this computer (private, offline; ${size})`;
  },
  create(context, source) {
    const made = recognizers(context);
    inService = made;
    return {
      transcriber: fileTranscriber(made, source),
      live: {
        // called as a recording starts: the model loads (seconds) while the user speaks; not in
        // the very first moment, when starting its process would compete with the microphone's
        async open(events) {
          const recognizer = await made.get(await currentSettings(source));
          setTimeout(() => void recognizer.prepare().catch(() => undefined), LOAD_DELAY_MS).unref();
          return localSession(recognizer, events);
        },
      },
      close: () => made.close(),
    };
  },
  describe(settings) {
    const name = localModelName(settings);
    const latest = inService?.latest;
    const size = latest?.name === name ? residentSize(latest.pid) : undefined;
    return `local, ${name} (${size ? `loaded, ${size}` : 'not loaded'})`;
  },
  problems(settings) {
    const name = localModelName(settings);
    if (existsSync(join(modelsDir(), name, MANIFEST))) return [];
    const known = findModel(name);
    return [
      `The local model "${name}" is not installed: \`whis model download ${name}\`${known ? ` (${known.title})` : ''}, or \`whis model list\`.`,
    ];
  },
  async probe({ settings }) {
    const libc = glibcCheck();
    if (libc && !libc.ok) return [libc];
    const name = localModelName(settings);
    let model;
    try {
      model = await openInstalledModel(name);
    } catch (err) {
      return [
        required({
          name: 'Local model',
          ok: false,
          detail: `${name}: ${(err as Error).message}`,
          fix: `\`whis model download ${name}\` (or \`whis model list\`)`,
        }),
      ];
    }
    const unverified = model.files.filter((f) => !f.verified).map((f) => f.path);
    const files = required({
      name: 'Local model',
      ok: true,
      detail: `${name} (${model.origin === 'catalogue' ? 'downloaded' : `added from ${model.origin}`}), every file of the size it was installed with${unverified.length ? `; not checked against a published hash: ${unverified.join(', ')}` : '; hashes checked against the published ones'}`,
    });
    // one second of silence decoded in the child: the model loads and answers
    const recognizer = createLocalTranscriber({
      modelDir: model.dir,
      type: model.type,
      name: model.name,
      origin: model.origin,
      idleMs: 0,
    });
    try {
      const started = performance.now();
      await recognizer.transcribePcm(new Int16Array(16_000), 16_000);
      return [
        ...(libc ? [libc] : []),
        files,
        required({
          name: 'Local engine',
          ok: true,
          detail: `the model loads and decodes one second of audio (${Math.round(performance.now() - started)} ms, load included)`,
        }),
      ];
    } catch (err) {
      return [
        files,
        required({
          name: 'Local engine',
          ok: false,
          detail: (err as Error).message,
          fix: 'The prebuilt sherpa-onnx library needs glibc 2.32 or newer (`ldd --version`).',
        }),
      ];
    } finally {
      await recognizer.close();
    }
  },
};
