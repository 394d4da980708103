import { burstsPcm, startFileServer, writeTinyParakeet, type FileServer } from '@whis/testkit';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addModel, downloadModel, type DownloadProgress } from './download.js';
import { LocalError } from './errors.js';
import type { CatalogueModel, ModelRole } from './models.js';
import { MANIFEST, openInstalledModel, readManifest } from './store.js';
import { createLocalTranscriber } from './transcriber.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const REPO = 'example/tiny-parakeet';
const REV = 'a'.repeat(40);

let root: string;
let server: FileServer;
let generated: Record<ModelRole, Buffer>;
const big = randomBytes(300_000);

/** A catalogue row for files the test server holds. */
function row(
  name: string,
  files: { role: ModelRole; path: string; data: Buffer; sha256?: string | null }[],
): CatalogueModel {
  return {
    name,
    title: name,
    type: 'nemo-transducer',
    languages: ['en'],
    licence: 'MIT',
    sizeBytes: files.reduce((n, f) => n + f.data.length, 0),
    memoryMiB: 1,
    memoryNote: 'test',
    repo: REPO,
    revision: REV,
    files: files.map((f) => ({
      role: f.role,
      path: f.path,
      bytes: f.data.length,
      sha256: f.sha256 === undefined ? sha(f.data) : f.sha256,
      source: 'test',
    })),
  };
}

const path = (file: string): string => `/${REPO}/resolve/${REV}/${file}`;
const tiny = (): CatalogueModel =>
  row('tiny', [
    { role: 'encoder', path: 'encoder.onnx', data: generated.encoder },
    { role: 'decoder', path: 'decoder.onnx', data: generated.decoder },
    { role: 'joiner', path: 'joiner.onnx', data: generated.joiner },
    { role: 'tokens', path: 'tokens.txt', data: generated.tokens },
  ]);
const bigRow = (name: string, sha256?: string | null): CatalogueModel =>
  row(name, [{ role: 'encoder', path: 'big.bin', data: big, sha256 }]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'whis-download-'));
  const m = await writeTinyParakeet(join(root, 'generated'));
  generated = {
    encoder: await readFile(m.encoder),
    decoder: await readFile(m.decoder),
    joiner: await readFile(m.joiner),
    tokens: await readFile(m.tokens),
  } as Record<ModelRole, Buffer>;
  const files = new Map<string, Buffer>([
    [path('encoder.onnx'), generated.encoder],
    [path('decoder.onnx'), generated.decoder],
    [path('joiner.onnx'), generated.joiner],
    [path('tokens.txt'), generated.tokens],
    [path('big.bin'), big],
  ]);
  server = await startFileServer(files);
});

afterEach(() => {
  server.controls.ranges = true;
  server.controls.corrupt.clear();
  server.requests.length = 0;
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('downloading a model (a local server as the mirror)', () => {
  it('installs every file checked by SHA-256, the manifest last, and the model then loads', async () => {
    const models = join(root, 'models-ok');
    const progress: DownloadProgress[] = [];
    const { model, unverified } = await downloadModel(tiny(), {
      root: models,
      mirror: `${server.url}/`,
      onProgress: (p) => progress.push(p),
    });
    expect(unverified).toEqual([]);
    expect(model.files.every((f) => f.verified)).toBe(true);
    expect(server.requests.map((r) => r.path)).toContain(path('encoder.onnx'));
    expect(progress.at(-1)).toMatchObject({
      receivedBytes: tiny().sizeBytes,
      totalBytes: tiny().sizeBytes,
    });
    expect((await stat(join(models, 'tiny'))).mode & 0o777).toBe(0o700);

    const installed = await openInstalledModel('tiny', models);
    const t = createLocalTranscriber({ modelDir: installed.dir, type: installed.type, threads: 1 });
    try {
      expect(await t.transcribePcm(burstsPcm(2), 16_000)).toBe('word word');
    } finally {
      await t.close();
    }
  });

  it('a cut connection is resumed with a Range request from where the part ends', async () => {
    const models = join(root, 'models-cut');
    server.controls.cutAfter.set(path('big.bin'), 100_000);
    const { model } = await downloadModel(bigRow('cut'), { root: models, mirror: server.url });
    expect(model.files[0].sha256).toBe(sha(big));
    const ranges = server.requests.filter((r) => r.path === path('big.bin')).map((r) => r.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranges[1] ?? '')?.[0])).toBeGreaterThan(0);
    expect(await readFile(join(models, 'cut', 'big.bin'))).toEqual(big);
  });

  it('a server that answers 200 to a Range request: the file starts again and is still right', async () => {
    const models = join(root, 'models-200');
    server.controls.ranges = false;
    server.controls.cutAfter.set(path('big.bin'), 100_000);
    const { model } = await downloadModel(bigRow('no-ranges'), {
      root: models,
      mirror: server.url,
    });
    expect(model.files[0].sha256).toBe(sha(big));
    expect(server.requests.filter((r) => r.path === path('big.bin')).map((r) => r.status)).toEqual([
      200, 200,
    ]);
  });

  it('a wrong hash deletes the file, names both hashes, and installs nothing', async () => {
    const models = join(root, 'models-bad');
    server.controls.corrupt.add(path('big.bin'));
    const err = await downloadModel(bigRow('bad'), { root: models, mirror: server.url }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).id).toBe('local/hash-mismatch');
    const corrupted = Buffer.from(big);
    corrupted[corrupted.length >> 1] ^= 0xff;
    expect((err as Error).message).toContain(sha(corrupted));
    expect((err as Error).message).toContain(sha(big));
    await expect(stat(join(models, 'bad', 'big.bin.part'))).rejects.toThrow();
    await expect(stat(join(models, 'bad', 'big.bin'))).rejects.toThrow();
    expect(await readManifest(join(models, 'bad'))).toBeUndefined();
  });

  it('an abort in the middle keeps the part, and the next run resumes it', async () => {
    const models = join(root, 'models-abort');
    server.controls.stallAfter.set(path('big.bin'), 120_000);
    const controller = new AbortController();
    const first = downloadModel(bigRow('abort'), {
      root: models,
      mirror: server.url,
      signal: controller.signal,
      progressEveryMs: 0,
      onProgress: (p) => {
        if (p.receivedBytes >= 120_000) controller.abort();
      },
    }).catch((e: unknown) => e);
    const err = await first;
    expect((err as LocalError).id).toBe('local/aborted');
    expect((err as Error).message).toMatch(/whis model download abort/);
    expect((await stat(join(models, 'abort', 'big.bin.part'))).size).toBe(120_000);
    expect(await readManifest(join(models, 'abort'))).toBeUndefined();

    await downloadModel(bigRow('abort'), { root: models, mirror: server.url });
    const last = server.requests.filter((r) => r.path === path('big.bin')).at(-1);
    expect(last).toMatchObject({ range: 'bytes=120000-', status: 206 });
    expect(await readFile(join(models, 'abort', 'big.bin'))).toEqual(big);
  });

  it('a file no public source pins is recorded and reported unverified', async () => {
    const models = join(root, 'models-unpinned');
    const { model, unverified } = await downloadModel(bigRow('unpinned', null), {
      root: models,
      mirror: server.url,
    });
    expect(unverified).toEqual(['big.bin']);
    expect(model.files[0]).toMatchObject({ sha256: sha(big), verified: false });
  });

  it('a server that does not have the file: the error names the address and the status', async () => {
    const models = join(root, 'models-404');
    const err = await downloadModel(bigRow('missing'), {
      root: models,
      mirror: `${server.url}/nothing-here`,
    }).catch((e: unknown) => e);
    expect((err as LocalError).id).toBe('local/download-failed');
    expect((err as Error).message).toMatch(/answered 404.*--mirror/);
  });
});

describe('a full disk (a small tmpfs)', () => {
  const mount = join(tmpdir(), `whis-full-${process.pid}`);
  beforeAll(async () => {
    await mkdir(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mount]);
  });
  afterAll(async () => {
    execFileSync('umount', [mount]);
    await rm(mount, { recursive: true, force: true });
  });

  it('says the disk is full and keeps what it has for a resume', async () => {
    const err = await downloadModel(bigRow('full'), {
      root: join(mount, 'models'),
      mirror: server.url,
    }).catch((e: unknown) => e);
    expect((err as LocalError).id).toBe('local/disk-full');
    expect((err as Error).message).toMatch(
      /No space left.*run `whis model download full` again to resume/,
    );
    expect((await stat(join(mount, 'models', 'full', 'big.bin.part'))).size).toBeGreaterThan(0);
    expect(await readManifest(join(mount, 'models', 'full'))).toBeUndefined();
  });
});

describe('adding a folder the user has', () => {
  it('finds the files of its type, loads it in a child, then writes the manifest', async () => {
    const models = join(root, 'models-add');
    const folder = await writeTinyParakeet(join(root, 'mine'));
    const model = await addModel(folder.dir, 'mine', { root: models });
    expect(model.type).toBe('nemo-transducer');
    expect(await readManifest(join(models, 'mine'))).toMatchObject({
      name: 'mine',
      origin: folder.dir,
    });
    const err = await addModel(folder.dir, 'mine', { root: models }).catch((e: unknown) => e);
    expect((err as LocalError).id).toBe('local/already-installed');
  });

  it('a folder whose model ends the recognizer is refused, the caller lives, nothing is installed', async () => {
    const models = join(root, 'models-add-bad');
    const folder = await writeTinyParakeet(join(root, 'broken'), 'no-blank');
    const err = await addModel(folder.dir, 'broken', { root: models }).catch((e: unknown) => e);
    expect((err as LocalError).id).toBe('local/invalid-folder');
    expect((err as Error).message).toMatch(/blank token <blk>/);
    await expect(stat(join(models, 'broken', MANIFEST))).rejects.toThrow();
    await expect(stat(join(models, 'broken'))).rejects.toThrow();
  });

  it('a folder without the files of any type says what it needs', async () => {
    const err = await addModel(root, 'empty', { root: join(root, 'models-empty') }).catch(
      (e: unknown) => e,
    );
    expect((err as LocalError).id).toBe('local/invalid-folder');
    expect((err as Error).message).toMatch(/nemo-transducer: encoder, decoder, joiner, tokens/);
  });
});
