// One contender in an instance race: acquires the runtime dir in WHIS_RUNTIME_DIR, prints one JSON
// line, and (if it won) serves until its stdin closes, then releases.
import { createIpcServer } from '@whis/ipc';
import { acquireInstance, resolveRuntimeDir } from '../dist/index.js';

const runtime = await resolveRuntimeDir();
try {
  const instance = await acquireInstance(runtime, {
    probeTimeoutMs: Number(process.env.PROBE_TIMEOUT_MS ?? 5000),
  });
  const ipc = await createIpcServer(instance.server, {}, { serverInfo: { version: 'race' } });
  instance.handOver(ipc);
  process.stdout.write(`${JSON.stringify({ owner: true, pid: process.pid })}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await ipc.close();
    await instance.release();
  });
} catch (err) {
  process.stdout.write(
    `${JSON.stringify({ owner: false, code: err.code, pid: err.pid, message: err.message })}\n`,
  );
}
