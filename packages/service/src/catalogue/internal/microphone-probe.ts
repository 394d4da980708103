// The microphone check, run in a child process of its own (forked by the microphones row):
// PortAudio prints on stdout when it opens a device, so the child's stdout is discarded and it
// reports its levels and its result over the IPC channel. The messages are typed below; the parent
// sends the options as the first message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the parent asks: how long to listen, and to which device (default: the system's). */
export interface ProbeRequest {
  device?: string;
  ms: number;
}

/** What the microphone check found: whether audio came, from which device, how loud. */
export interface MicrophoneProbe {
  ok: boolean;
  /** The error's code when it failed: `native-unavailable`, `device-not-found`, … */
  code?: string;
  message?: string;
  device?: string;
  firstFrameMs?: number;
  peak?: number;
}

/** What the child sends: each 100 ms's peak as it comes, then the result. */
export type ProbeMessage = { level: number } | { result: MicrophoneProbe };

async function listen(request: ProbeRequest, send: (m: ProbeMessage) => void): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'whis-probe-'));
  try {
    // loaded here, after the channel is up: a native addon that fails to load is an answer too
    const { createMicrophone } = await import('@whis/audio');
    const microphone = createMicrophone({
      ...(request.device ? { device: request.device } : {}),
      levelIntervalMs: 100,
    });
    const capture = await microphone.start({ directory });
    let peak = 0;
    capture.onLevel((level) => {
      peak = Math.max(peak, level.peak);
      send({ level: level.peak });
    });
    await new Promise((resolve) => setTimeout(resolve, request.ms));
    await capture.abort();
    const { device, firstFrameMs } = capture.stats;
    send({
      result: {
        ok: firstFrameMs !== undefined,
        ...(device ? { device } : {}),
        ...(firstFrameMs !== undefined ? { firstFrameMs } : {}),
        peak,
      },
    });
  } catch (err) {
    const { code, message } = err as Error & { code?: string };
    send({ result: { ok: false, ...(code ? { code } : {}), message } });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

// run as a child: the request comes first, the answer goes back, then the channel closes
if (process.send) {
  process.once('message', (request: ProbeRequest) => {
    void listen(request, (m) => process.send!(m)).finally(() => process.disconnect());
  });
}
