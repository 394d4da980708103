import { diskFullMessage, silentLogger, type Logger } from '@whis/contracts';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LocalError } from './errors.js';
import {
  MODEL_ROLES,
  modelFileUrl,
  type CatalogueModel,
  type ModelFile,
  type ModelRole,
  type ModelType,
} from './models.js';
import {
  filesByRole,
  modelDir,
  modelsDir,
  readManifest,
  writeManifest,
  type InstalledFile,
  type InstalledModel,
} from './store.js';
import { createLocalTranscriber } from './transcriber.js';

/** How far a download is, for a progress bar or a line now and then. */
export interface DownloadProgress {
  model: string;
  /** The file being written. */
  file: string;
  /** Bytes of the whole model on disk so far (resumed parts included). */
  receivedBytes: number;
  totalBytes: number;
  /** Over this run (resumed bytes not counted); 0 until something arrived. */
  bytesPerSecond: number;
  /** At that rate; undefined until something arrived. */
  secondsLeft: number | undefined;
}

export interface DownloadOptions {
  /** Where models live. Default `$XDG_DATA_HOME/whis/models`. */
  root?: string;
  /** Another host with the same paths (`<mirror>/<repo>/resolve/<revision>/<file>`). */
  mirror?: string;
  /** Stops the download; what was written stays in `<file>.part` for the next run to resume. */
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** At most one progress call this often (ms); default 200. The end of each file is always told. */
  progressEveryMs?: number;
  /** Reconnections after a cut connection before giving up (each resumes). Default 3. */
  retries?: number;
  logger?: Logger;
}

/** An installed download, and the files whose hash no public source pins (recorded, not checked). */
export interface DownloadResult {
  model: InstalledModel;
  unverified: string[];
}

class Cut extends Error {}

async function hashOf(path: string, hash: Hash = createHash('sha256')): Promise<Hash> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

const sizeOf = (path: string): Promise<number | undefined> =>
  stat(path).then(
    (s) => s.size,
    () => undefined,
  );

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (err as Error)?.name === 'AbortError';
}

/**
 * Downloads a catalogue model into `<root>/<name>/`, file by file: each into `<file>.part`,
 * resumed with an HTTP Range request where a part is there (a server that answers 200 starts it
 * again), its SHA-256 computed while it is written (over the bytes already there on a resume),
 * checked against the pinned value and renamed into place; the manifest is written last, so a
 * model without one is not installed. Rejects with LocalError: `hash-mismatch` (the file is
 * deleted; both hashes named), `disk-full` and `aborted` (the part is kept, a new run resumes),
 * `download-failed`.
 */
export async function downloadModel(
  model: CatalogueModel,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const { signal, onProgress, retries = 3, progressEveryMs = 200 } = options;
  const logger = (options.logger ?? silentLogger).child({ component: 'model-download' });
  const dir = await modelDir(model.name, options.root ?? modelsDir(), true);
  const started = Date.now();
  let receivedThisRun = 0;
  let doneBefore = 0;
  let lastReport = 0;
  const report = (file: string, onDisk: number, force = false): void => {
    const now = Date.now();
    if (!onProgress || (!force && now - lastReport < progressEveryMs)) return;
    lastReport = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? receivedThisRun / seconds : 0;
    const received = doneBefore + onDisk;
    onProgress({
      model: model.name,
      file,
      receivedBytes: received,
      totalBytes: model.sizeBytes,
      bytesPerSecond: rate,
      secondsLeft: rate > 0 ? (model.sizeBytes - received) / rate : undefined,
    });
  };

  const files: InstalledFile[] = [];
  const unverified: string[] = [];
  for (const file of model.files) {
    const url = modelFileUrl(model, file, options.mirror);
    const target = join(dir, file.path);
    let sha256: string | undefined;
    // a file already in place from an earlier run that stopped before the manifest
    if ((await sizeOf(target)) === file.bytes) {
      const existing = (await hashOf(target)).digest('hex');
      if (file.sha256 === null || existing === file.sha256) sha256 = existing;
      else await rm(target, { force: true });
    }
    if (sha256 === undefined) {
      sha256 = await downloadFile(model, file, url, target, {
        signal,
        retries,
        logger,
        onBytes: (n, onDisk) => {
          receivedThisRun += n;
          report(file.path, onDisk);
        },
      });
    }
    doneBefore += file.bytes;
    report(file.path, 0, true);
    if (file.sha256 === null) unverified.push(file.path);
    files.push({
      role: file.role,
      path: file.path,
      bytes: file.bytes,
      sha256,
      verified: file.sha256 !== null,
    });
  }
  const installed: InstalledModel = {
    name: model.name,
    type: model.type,
    dir,
    files,
    origin: 'catalogue',
    installedAt: new Date().toISOString(),
  };
  await writeManifest(installed).catch((err: unknown) => {
    throw writeError(err, model.name);
  });
  logger.info({ model: model.name, unverified }, 'model installed');
  return { model: installed, unverified };
}

function writeError(err: unknown, name: string): LocalError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LocalError(
      'disk-full',
      `${diskFullMessage(`download the model "${name}"`)} The part downloaded so far is kept: run \`whis model download ${name}\` again to resume.`,
      { cause: err },
    );
  }
  return new LocalError(
    'download-failed',
    `Cannot write the model "${name}": ${(err as Error).message}`,
    { cause: err },
  );
}

async function downloadFile(
  model: CatalogueModel,
  file: ModelFile,
  url: string,
  target: string,
  io: {
    signal?: AbortSignal;
    retries: number;
    logger: Logger;
    onBytes: (n: number, onDisk: number) => void;
  },
): Promise<string> {
  const part = `${target}.part`;
  const again = `Run \`whis model download ${model.name}\` again to resume.`;
  for (let attempt = 0; ; attempt++) {
    let offset = (await sizeOf(part)) ?? 0;
    if (offset > file.bytes) {
      await rm(part, { force: true });
      offset = 0;
    }
    let hash = offset > 0 ? await hashOf(part) : createHash('sha256');
    try {
      if (offset < file.bytes) {
        const response = await fetch(url, {
          headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
          signal: io.signal,
        });
        if (response.status === 416) {
          // the part is no prefix the server knows: start it again
          await rm(part, { force: true });
          await response.body?.cancel();
          continue;
        }
        if (response.status !== 200 && response.status !== 206) {
          await response.body?.cancel();
          throw new LocalError(
            'download-failed',
            `Downloading the model "${model.name}" failed: ${url} answered ${response.status} ${response.statusText}. Check the address (--mirror, the modelMirror setting) and try again.`,
          );
        }
        if (response.status === 200 && offset > 0) {
          // the server ignored the Range request: the whole file comes again
          io.logger.debug({ file: file.path, offset }, 'the server does not resume; starting over');
          offset = 0;
          hash = createHash('sha256');
        }
        const handle = await open(part, offset > 0 ? 'a' : 'w', 0o600).catch((err: unknown) => {
          throw writeError(err, model.name);
        });
        try {
          if (!response.body) throw new Cut('no body');
          const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
          try {
            for await (const chunk of body as AsyncIterable<Buffer>) {
              await handle.write(chunk).catch((err: unknown) => {
                throw writeError(err, model.name);
              });
              hash.update(chunk);
              offset += chunk.length;
              io.onBytes(chunk.length, offset);
            }
          } catch (err) {
            if (err instanceof LocalError || isAbort(err, io.signal)) throw err;
            throw new Cut((err as Error).message);
          }
        } finally {
          await handle.close();
        }
        if (offset < file.bytes)
          throw new Cut(`the connection ended at ${offset} of ${file.bytes} bytes`);
      }
      if (offset !== file.bytes) {
        await rm(part, { force: true });
        throw new LocalError(
          'hash-mismatch',
          `${file.path} of the model "${model.name}" came with ${offset} bytes, not ${file.bytes}; it was deleted. The server (${url}) does not serve the pinned file: check --mirror / modelMirror.`,
        );
      }
      const actual = hash.digest('hex');
      if (file.sha256 !== null && actual !== file.sha256) {
        await rm(part, { force: true });
        throw new LocalError(
          'hash-mismatch',
          `${file.path} of the model "${model.name}" is not the pinned file: SHA-256 ${actual}, expected ${file.sha256}; it was deleted. The server (${url}) or the connection changed it: check --mirror / modelMirror and run \`whis model download ${model.name}\` again.`,
        );
      }
      await rename(part, target);
      return actual;
    } catch (err) {
      if (err instanceof LocalError) throw err;
      if (isAbort(err, io.signal)) {
        throw new LocalError(
          'aborted',
          `The download of the model "${model.name}" was stopped; what arrived is kept. ${again}`,
          { cause: err },
        );
      }
      if (attempt >= io.retries) {
        throw new LocalError(
          'download-failed',
          `Downloading the model "${model.name}" failed (${(err as Error).message}, from ${url}); what arrived is kept. ${again}`,
          { cause: err },
        );
      }
      io.logger.warn({ file: file.path, attempt, err }, 'the download was cut; resuming');
      await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
    }
  }
}

// The files a folder holds for each type, by role: the int8 build preferred where both are there.
const PATTERNS: Record<ModelRole, RegExp> = {
  tokens: /tokens\.txt$/,
  encoder: /(^|[-_.])encoder?[-_.].*onnx$|^encode\b.*onnx$/,
  decoder: /(^|[-_.])decoder[-_.].*onnx$/,
  joiner: /(^|[-_.])joiner[-_.].*onnx$/,
  preprocessor: /^preprocess.*\.onnx$/,
  uncachedDecoder: /^uncached_decode.*\.onnx$/,
  cachedDecoder: /^cached_decode.*\.onnx$/,
};

function pick(names: string[], role: ModelRole): string | undefined {
  const found = names.filter((n) => PATTERNS[role].test(n));
  return found.find((n) => n.includes('int8')) ?? found[0];
}

/** What type a folder's files make, and the file of each role; undefined when none fits. */
export function detectModel(
  names: string[],
  type?: ModelType,
): { type: ModelType; files: Partial<Record<ModelRole, string>> } | undefined {
  const has = (role: ModelRole): boolean => pick(names, role) !== undefined;
  const guess: ModelType =
    type ?? (has('uncachedDecoder') ? 'moonshine' : has('joiner') ? 'nemo-transducer' : 'whisper');
  const files: Partial<Record<ModelRole, string>> = {};
  for (const role of MODEL_ROLES[guess]) {
    const name = pick(names, role);
    if (name) files[role] = name;
  }
  return MODEL_ROLES[guess].every((r) => files[r]) ? { type: guess, files } : undefined;
}

/**
 * Installs a model folder the user has as `name`: its files (found by their usual names) are
 * copied under the models folder and hashed, the model is loaded in a child process (a model that
 * ends the recognizer ends only that child), and only then the manifest is written. Rejects with
 * LocalError `invalid-folder` (what is missing, or why it did not load) or `already-installed`.
 */
export async function addModel(
  source: string,
  name: string,
  options: { type?: ModelType; root?: string; threads?: number; logger?: Logger } = {},
): Promise<InstalledModel> {
  const root = options.root ?? modelsDir();
  const from = resolve(source);
  const names = await readdir(from).catch((err: unknown) => {
    throw new LocalError(
      'invalid-folder',
      `Cannot read the folder ${from}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  });
  const found = detectModel(names, options.type);
  if (!found) {
    const needs = Object.entries(MODEL_ROLES)
      .map(([type, roles]) => `${type}: ${roles.join(', ')}`)
      .join('; ');
    throw new LocalError(
      'invalid-folder',
      `${from} does not hold the files of a model whis can load (${needs}; tokens.txt and *.onnx files by those names).`,
    );
  }
  const dir = await modelDir(name, root);
  if (await readManifest(dir)) {
    throw new LocalError(
      'already-installed',
      `A model named "${name}" is installed already. Run \`whis model remove ${name}\` first, or choose another --name.`,
    );
  }
  await modelDir(name, root, true);
  try {
    const files: InstalledFile[] = [];
    for (const [role, file] of Object.entries(found.files) as [ModelRole, string][]) {
      await copyFile(join(from, file), join(dir, file)).catch((err: unknown) => {
        throw writeError(err, name);
      });
      files.push({
        role,
        path: file,
        bytes: (await sizeOf(join(dir, file))) ?? 0,
        sha256: (await hashOf(join(dir, file))).digest('hex'),
        verified: false,
      });
    }
    const model: InstalledModel = {
      name,
      type: found.type,
      dir,
      files,
      origin: from,
      installedAt: new Date().toISOString(),
    };
    const check = createLocalTranscriber({
      modelDir: dir,
      type: found.type,
      name,
      origin: from,
      files: filesByRole(model),
      threads: options.threads ?? 1,
      idleMs: 0,
      logger: options.logger,
    });
    try {
      await check.prepare();
    } catch (err) {
      throw new LocalError(
        'invalid-folder',
        `${from} does not hold a model whis can load as ${found.type}: ${(err as Error).message.replace(/ Run `whis model remove.*$/, '')}`,
        { cause: err },
      );
    } finally {
      await check.close();
    }
    await writeManifest(model);
    return model;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
