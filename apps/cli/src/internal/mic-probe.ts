import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface ProbeResult {
  ok: boolean;
  code?: string;
  message?: string;
  device?: string;
  firstFrameMs?: number;
  peak?: number;
}

// PortAudio prints on stdout when it opens a device: the capture runs in a child whose stdout is
// discarded and which reports its levels and result over the IPC channel.
const SCRIPT = `
const { createMicrophone } = await import(process.env.WHIS_AUDIO_URL);
const { mkdtempSync, rmSync } = await import('node:fs');
const { join } = await import('node:path');
const { tmpdir } = await import('node:os');
const directory = mkdtempSync(join(tmpdir(), 'whis-probe-'));
try {
  const capture = await createMicrophone({ device: process.env.WHIS_DEVICE || undefined, levelIntervalMs: 100 }).start({ directory });
  let peak = 0;
  capture.onLevel((level) => {
    peak = Math.max(peak, level.peak);
    process.send({ level: level.peak });
  });
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.WHIS_PROBE_MS)));
  await capture.abort();
  const { device, firstFrameMs } = capture.stats;
  process.send({ result: { ok: firstFrameMs !== undefined, device, firstFrameMs, peak } });
} catch (err) {
  process.send({ result: { ok: false, code: err.code, message: err.message } });
} finally {
  rmSync(directory, { recursive: true, force: true });
}
`;

/**
 * Records `ms` from the microphone (the configured device, or the default) and throws nothing:
 * the result says whether audio came, from which device, how loud; `onLevel` gets the peak of
 * each 100 ms as it comes (for a level meter).
 */
export function probeMicrophone(options: {
  device?: string;
  ms: number;
  onLevel?: (peak: number) => void;
}): Promise<ProbeResult> {
  const url = pathToFileURL(createRequire(import.meta.url).resolve('@whis/audio')).href;
  return new Promise<ProbeResult>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      env: {
        ...process.env,
        WHIS_AUDIO_URL: url,
        WHIS_DEVICE: options.device ?? '',
        WHIS_PROBE_MS: String(options.ms),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let answer: ProbeResult | undefined;
    child.on('message', (m: { level?: number; result?: ProbeResult }) => {
      if (m.level !== undefined) options.onLevel?.(m.level);
      if (m.result) answer = m.result;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.ms + 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        answer ?? {
          ok: false,
          code: 'native-unavailable',
          message: `the microphone check ended without an answer (${code ?? signal}): ${stderr.trim().split('\n').pop() ?? ''}`,
        },
      );
    });
  });
}
