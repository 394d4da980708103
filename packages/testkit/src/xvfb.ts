import { spawn } from 'node:child_process';
import { runChecked, stopChild } from './process.js';

export interface VirtualDisplay {
  /** e.g. `:99`. */
  display: string;
  /** Environment to give child processes (DISPLAY set, Wayland variables removed). */
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Stops the Xvfb process this call started. */
  stop(): Promise<void>;
}

/** Starts Xvfb on a free display number (`-displayfd`) and resolves once it accepts clients. */
export function startXvfb(): Promise<VirtualDisplay> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'Xvfb',
      // -noreset: Xvfb otherwise resets when its last client leaves, and a window opened in that
      // moment is refused ("Can't open display"), as seen between two tests of one file
      ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp', '-noreset'],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let fdOutput = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) =>
      reject(
        new Error(`Xvfb could not start: ${err.message}. Install it: apt-get install xvfb`, {
          cause: err,
        }),
      ),
    );
    child.once('exit', (code, signal) => {
      if (!fdOutput.includes('\n'))
        reject(new Error(`Xvfb exited (${code ?? signal}) before it was ready: ${stderr.trim()}`));
    });
    const fd = child.stdio[3] as NodeJS.ReadableStream;
    fd.on('data', (d: Buffer) => {
      fdOutput += d.toString();
      if (!fdOutput.includes('\n')) return;
      const display = `:${fdOutput.trim()}`;
      const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display };
      delete env.WAYLAND_DISPLAY;
      env.XDG_SESSION_TYPE = 'x11';
      resolve({ display, env, pid: child.pid!, stop: () => stopChild(child) });
    });
  });
}

/** Runs `xdotool` with the given arguments against a display. */
export async function xdotool(display: VirtualDisplay, args: string[]): Promise<void> {
  await runChecked('xdotool', args, { env: display.env });
}
