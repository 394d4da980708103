import { serveTinyParakeet, writeTinyParakeet, type FileServer } from '@whis/testkit';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './internal/harness.js';

// `whis model` through the real CLI: the models come from a local server given with --mirror,
// described by a catalogue file of generated models (WHIS_MODEL_CATALOGUE).
let sandbox: Sandbox;
let server: FileServer;
let folder: string;
let catalogueFile: string;

beforeAll(async () => {
  sandbox = await createSandbox({});
  ({ server, catalogueFile } = await serveTinyParakeet(join(sandbox.root, 'generated')));
  folder = join(sandbox.root, 'generated', 'files');
});

afterAll(async () => {
  await server?.close();
  await sandbox?.cleanup();
});

const whis = (args: string[]) =>
  sandbox.whis(args, { env: { WHIS_MODEL_CATALOGUE: catalogueFile } });

describe('whis model', () => {
  it('list: the catalogue, nothing installed, the default in use', async () => {
    const r = await whis(['model', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\* parakeet-tdt-0\.6b-v3 .* not installed/m);
    expect(r.stdout).toMatch(/^ {2}whisper-tiny\.en .* not installed/m);
    expect(r.stdout).toMatch(/^ {2}tiny-parakeet .* not installed/m);
  });

  it('download NAME --mirror URL: fetched from the mirror, checked, installed; list shows it', async () => {
    const r = await whis(['model', 'download', 'tiny-parakeet', '--mirror', server.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Installed tiny-parakeet/);
    expect(server.requests.map((q) => q.path)).toContain(
      `/example/tiny-parakeet/resolve/${'b'.repeat(40)}/tokens.txt`,
    );
    const manifest = join(
      sandbox.root,
      'data',
      'whis',
      'models',
      'tiny-parakeet',
      'whis-model.json',
    );
    expect((await stat(manifest)).isFile()).toBe(true);

    await whis(['config', 'set', 'localModel', 'tiny-parakeet']);
    const list = await whis(['model', 'list', '--json']);
    const rows = JSON.parse(list.stdout) as { name: string; installed: boolean; inUse: boolean }[];
    expect(rows.find((m) => m.name === 'tiny-parakeet')).toMatchObject({
      installed: true,
      inUse: true,
    });
    expect(rows.find((m) => m.name === 'parakeet-tdt-0.6b-v3')).toMatchObject({ inUse: false });
  });

  it('download of a pinned model from a mirror without the file: the address and the status, exit 1', async () => {
    const r = await whis(['model', 'download', 'whisper-tiny.en', '--mirror', server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/answered 404/);
    expect(r.stderr).toContain(`${server.url}/csukuangfj/sherpa-onnx-whisper-tiny.en/resolve/`);
  });

  it('add DIR --name NAME: a folder of the user is loaded, then installed; a broken one is refused', async () => {
    const ok = await whis(['model', 'add', folder, '--name', 'mine']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Installed mine \(nemo-transducer, loaded and checked\)/);
    const list = await whis(['model', 'list']);
    expect(list.stdout).toMatch(/^ {2}mine .* installed +added from /m);

    const broken = await writeTinyParakeet(join(sandbox.root, 'broken'), 'missing-metadata');
    const bad = await whis(['model', 'add', broken.dir, '--name', 'broken']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/does not hold a model whis can load.*pred_hidden/);
    expect((await whis(['model', 'list'])).stdout).not.toMatch(/broken/);
  });

  it('remove NAME: gone from the list; removing it again says it is not installed', async () => {
    const r = await whis(['model', 'remove', 'mine']);
    expect(r.code).toBe(0);
    expect((await whis(['model', 'list'])).stdout).not.toMatch(/^ {2}mine /m);
    const again = await whis(['model', 'remove', 'mine']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No model "mine" is installed/);
  });
});
