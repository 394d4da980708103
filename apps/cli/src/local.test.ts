import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavFile } from '@whis/contracts';
import {
  burstsPcm,
  BURST_WORD,
  serveTinyParakeet,
  startVirtualMicrophone,
  writeTinyParakeet,
  type VirtualMicrophone,
} from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, watchOutput, type Sandbox } from './internal/harness.js';

// `mode local` on real parts: the virtual microphone, the real service, sherpa-onnx in the
// engine's child process with a generated Parakeet TDT that hears each burst of sound as one word
// (no real speech model can be downloaded here). No API key, no endpoint: nothing leaves the machine.
const THREE = `${BURST_WORD} ${BURST_WORD} ${BURST_WORD}`;

let mic: VirtualMicrophone;
let scratch: string;
let bursts: string;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  mic = await startVirtualMicrophone();
  scratch = await mkdtemp(join(tmpdir(), 'whis-local-'));
  bursts = join(scratch, 'bursts.wav');
  const pcm = burstsPcm(3);
  const int16 = Int16Array.from(pcm, (v) => Math.round(v * 32767));
  await writeFile(bursts, wavFile(int16, 16_000));
}, 60_000);
afterAll(async () => {
  await mic?.stop();
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  if (sandbox) {
    await sandbox.whis(['stop'], { timeoutMs: 60_000 }).catch(() => undefined);
    await sandbox.cleanup();
  }
  sandbox = undefined;
});

/** A sandbox in `mode local` with the generated model installed as `tiny` (or a broken one). */
async function localSandbox(broken?: 'no-blank'): Promise<Sandbox> {
  // no key and an endpoint that answers nothing: a dictation that reached it would fail
  const s = await createSandbox({
    ...mic.env,
    OPENAI_API_KEY: '',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  });
  sandbox = s;
  const model = await writeTinyParakeet(join(s.root, 'model'), broken);
  if (broken) {
    // `whis model add` refuses a model that does not load: plant it as a damaged download would be
    const good = await writeTinyParakeet(join(s.root, 'good'));
    expect((await s.whis(['model', 'add', good.dir, '--name', 'tiny'])).code).toBe(0);
    await copyFile(
      model.tokens,
      join(s.env.XDG_DATA_HOME!, 'whis', 'models', 'tiny', 'tokens.txt'),
    );
  } else {
    const added = await s.whis(['model', 'add', model.dir, '--name', 'tiny']);
    expect(added.code, added.stderr).toBe(0);
  }
  for (const [key, value] of [
    ['mode', 'local'],
    ['localModel', 'tiny'],
    // bursts of noise are not speech to the speech detector; loudness still keeps silence out
    ['speechDetection', 'false'],
    ['outputs', 'file'],
  ]) {
    const set = await s.whis(['config', 'set', key!, value!]);
    expect(set.code, set.stderr).toBe(0);
  }
  return s;
}

describe('mode local: transcription on this machine', () => {
  it('the microphone → the service → the words, with no key and no endpoint; status shows the model', async () => {
    const s = await localSandbox();
    await s.listen(['--no-hotkey']);
    const idle = await s.status();
    expect(idle.transcription).toBe('local, tiny (not loaded)');
    await s.whis(['toggle']);
    await mic.play(bursts);
    const done = await s.whis(['toggle', '--wait'], { timeoutMs: 60_000 });
    expect(done.stdout.trim()).toBe(THREE);
    expect(await s.transcript()).toBe(THREE);
    // the model stays loaded while dictations follow
    expect((await s.status()).transcription).toMatch(/^local, tiny \(loaded, \d+ MB\)$/);
  }, 120_000);

  it('live text: each segment as it is decoded', async () => {
    const s = await localSandbox();
    await s.listen(['--no-hotkey']);
    const follow = s.spawnWhis(['status', '--follow', '--format', 'json']);
    const followed = watchOutput(follow);
    await s.whis(['toggle']);
    await mic.play(bursts);
    await s.whis(['toggle', '--wait'], { timeoutMs: 60_000 });
    await followed.waitFor(new RegExp(`"text":"${BURST_WORD}`));
    follow.kill();
  }, 120_000);

  it('a broken model never takes the service down: the recording is kept, and `whis retry` delivers once it is mended', async () => {
    const s = await localSandbox('no-blank');
    await s.listen(['--no-hotkey']);
    await s.whis(['toggle']);
    await mic.play(bursts);
    const failed = await s.whis(['toggle', '--wait'], { timeoutMs: 60_000 });
    expect(failed.code).not.toBe(0);
    const status = await s.waitForStatus((st) => st.state === 'idle' && Boolean(st.lastError));
    // the service is alive and says which model and what to do
    expect(JSON.stringify(status.lastError)).toMatch(/tiny/);
    expect(JSON.stringify(status.lastError)).toMatch(/whis model/);
    // mended: the good tokens back in place
    const good = await writeTinyParakeet(join(s.root, 'mended'));
    await copyFile(good.tokens, join(s.env.XDG_DATA_HOME!, 'whis', 'models', 'tiny', 'tokens.txt'));
    const retried = await s.whis(['retry'], { timeoutMs: 60_000 });
    expect(retried.code, retried.stderr).toBe(0);
    expect(await s.transcript()).toBe(THREE);
  }, 120_000);

  it('whis transcribe FILE and the one-shot whis work offline too', async () => {
    const s = await localSandbox();
    const file = await s.whis(['transcribe', bursts], { timeoutMs: 60_000 });
    expect(file.code, file.stderr).toBe(0);
    expect(file.stdout.trim()).toBe(THREE);
    const child = s.spawnWhis(['--no-clipboard']);
    const output = watchOutput(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    await output.waitFor(/Recording… press Enter/);
    await mic.play(bursts);
    child.stdin!.write('\n');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output.text()).toBe(0);
    expect(stdout.trim()).toBe(THREE);
  }, 120_000);

  it('whis setup offers this computer: it downloads the model (checked against its hashes), then dictates offline', async () => {
    const served = await serveTinyParakeet(join(scratch, 'served'));
    const s = await createSandbox({
      ...mic.env,
      OPENAI_API_KEY: '',
      WHIS_MODEL_CATALOGUE: served.catalogueFile,
    });
    sandbox = s;
    try {
      // bursts of noise are not speech to the speech detector
      expect((await s.whis(['config', 'set', 'speechDetection', 'false'])).code).toBe(0);
      const setup = s.spawnWhis([
        'setup',
        '--yes',
        '--mode',
        'local',
        '--local-model',
        served.name,
        '--mirror',
        served.mirror,
        '--output',
        'clipboard',
        '--test-seconds',
        '5',
      ]);
      const output = watchOutput(setup);
      await output.waitFor(/Recording for 5 s/, 60_000);
      await mic.play(bursts);
      const code = await new Promise((resolve) => setup.once('exit', resolve));
      expect(code, output.text()).toBe(0);
      expect(output.text()).toContain(`Downloading the offline model ${served.name}`);
      expect(output.text()).toContain(THREE);
      const listed = await s.whis(['model', 'list']);
      expect(listed.stdout).toMatch(new RegExp(`^\\* ${served.name} .* installed`, 'm'));
    } finally {
      await served.close();
    }
  }, 120_000);

  it('whis doctor: the C library, the model files, and a second decoded in the child; a missing model says how to get it', async () => {
    const s = await localSandbox();
    const doctor = await s.whis(['doctor', '--json'], { timeoutMs: 60_000 });
    const checks = (
      JSON.parse(doctor.stdout) as {
        checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
      }
    ).checks;
    const named = (name: string) => checks.find((c) => c.name === name);
    expect(named('C library')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^glibc \d+\.\d+/),
    });
    expect(named('Local model')).toMatchObject({
      ok: true,
      detail: expect.stringContaining('tiny (added from'),
    });
    expect(named('Local engine')).toMatchObject({
      ok: true,
      detail: expect.stringContaining('decodes one second'),
    });
    // nothing is asked of an endpoint in mode local
    expect(checks.some((c) => /API key|Endpoint/i.test(c.name))).toBe(false);
    expect((await s.whis(['config', 'set', 'localModel', 'parakeet-tdt-0.6b-v3'])).code).toBe(0);
    const missing = await s.whis(['doctor', '--json'], { timeoutMs: 60_000 });
    expect(missing.code).toBe(1);
    const model = (
      JSON.parse(missing.stdout) as { checks: Array<{ name: string; ok: boolean; fix?: string }> }
    ).checks.find((c) => c.name === 'Local model');
    expect(model).toMatchObject({
      ok: false,
      fix: expect.stringContaining('whis model download parakeet-tdt-0.6b-v3'),
    });
  }, 120_000);
});
