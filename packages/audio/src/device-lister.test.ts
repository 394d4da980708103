// The device list is read in a child process (see `listInputDevices`). PortAudio can hang in it on a
// sound server that does not answer; the child must still end when the process that started it
// ends (a `whis listen` killed with SIGKILL), not stay behind for as long as the server is stuck.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { processAlive, startVirtualMicrophone, type VirtualMicrophone } from '@whis/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
let mic: VirtualMicrophone;
const leftovers: number[] = [];

beforeAll(async () => {
  mic = await startVirtualMicrophone();
}, 60_000);
afterAll(async () => {
  await mic?.stop();
});
afterEach(() => {
  process.kill(mic.serverPid, 'SIGCONT');
  for (const pid of leftovers.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** The processes whose parent is `pid`, read from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // `pid (comm) state ppid …`: comm may hold spaces, so the fields after its last `)`
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) found.push(Number(entry));
  }
  return found;
}

describe('the device lister', () => {
  it('ends with the process that started it, while PortAudio hangs on a stuck sound server', async () => {
    process.kill(mic.serverPid, 'SIGSTOP');
    const script = `
      import { listInputDevices } from ${JSON.stringify(BUILT)};
      // a limit far beyond this test: only the parent's end may end the lister here
      listInputDevices({ timeoutMs: 600_000 }).catch(() => undefined);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: mic.env,
      stdio: 'ignore',
    });
    leftovers.push(parent.pid!);
    let lister: number | undefined;
    await expect
      .poll(async () => (lister = (await childrenOf(parent.pid!))[0]), { timeout: 15_000 })
      .toBeDefined();
    leftovers.push(lister!);
    // the lister is stuck in PortAudio: a second later it still runs
    await new Promise((r) => setTimeout(r, 1000));
    expect(processAlive(lister!)).toBe(true);
    const exited = new Promise((r) => parent.once('exit', r));
    parent.kill('SIGKILL');
    await exited;
    await expect.poll(() => processAlive(lister!), { timeout: 5000 }).toBe(false);
  }, 60_000);
});
