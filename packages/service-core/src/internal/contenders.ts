import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../../test/acquire.mjs', import.meta.url));

export interface Contender {
  child: ChildProcess;
  result: { owner: boolean; pid?: number; code?: string; message?: string };
}

/** Starts `n` processes racing for the runtime dir at once; resolves when each has said how it fared. */
export async function race(
  dir: string,
  n: number,
  env: NodeJS.ProcessEnv = {},
): Promise<Contender[]> {
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, [fixture], {
      env: { ...process.env, WHIS_RUNTIME_DIR: dir, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  return Promise.all(
    children.map(
      (child) =>
        new Promise<Contender>((resolve, reject) => {
          const lines = createInterface({ input: child.stdout! });
          lines.once('line', (line) => resolve({ child, result: JSON.parse(line) }));
          // 'close', not 'exit': a loser says how it fared and exits at once, and on a busy machine
          // 'exit' can come before its last line has been read
          child.once('close', (code) =>
            reject(new Error(`contender exited (${code}) without a result`)),
          );
        }),
    ),
  );
}

/** Ends a contender that owns the instance: closing stdin makes it release and exit. */
export function release(contender: Contender): Promise<void> {
  return new Promise((resolve) => {
    if (contender.child.exitCode !== null) return resolve();
    contender.child.once('exit', () => resolve());
    contender.child.stdin!.end();
  });
}

/** Leaves a stale socket at `path`: a process binds it and dies by SIGKILL. */
export function plantStaleSocket(path: string): void {
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
}
