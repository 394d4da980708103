import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadline } from '@whis/contracts';
import { connectToDaemon } from '@whis/ipc';
import { ensurePrivateDirSync, openLogDescriptor, resolvePaths } from '@whis/config';
import { loadPackage } from '../lazy.js';
import { CliError, ExitCode } from '../errors.js';
import { daemonEndpoint } from '../runtime.js';
import type { ListenArgs } from './listen.js';

/** Path of the daemon program, `whisd`, from the @whis/daemon package this CLI depends on. */
export function daemonProgram(): string {
  const manifest = createRequire(import.meta.url).resolve('@whis/daemon/package.json');
  return join(dirname(manifest), 'dist', 'main.js');
}

function daemonArgs(args: ListenArgs, progress: boolean): string[] {
  const out: string[] = [];
  if (args.noHotkey) out.push('--no-hotkey');
  else if (args.hotkey) out.push('--hotkey', args.hotkey);
  if (args.hotkeyBackend) out.push('--hotkey-backend', args.hotkeyBackend);
  if (args.pushToTalk) out.push('--push-to-talk');
  if (progress) out.push('--progress');
  return out;
}

async function canonicalHotkey(spec: string): Promise<string> {
  const { formatHotkey, parseHotkey } =
    await loadPackage<typeof import('@whis/hotkey/spec')>('@whis/hotkey/spec');
  try {
    return formatHotkey(parseHotkey(spec));
  } catch (err) {
    throw new CliError((err as Error).message, { exitCode: ExitCode.Usage, cause: err });
  }
}

// In the foreground, this process becomes the service (one process, signals straight to it); with
// --detach, whisd is started in its own session and this returns once it answers on the socket.
export async function runListen(args: ListenArgs): Promise<number> {
  // the hotkey is checked here, before a service starts, and handed on in its canonical form
  if (args.hotkey && !args.noHotkey) args = { ...args, hotkey: await canonicalHotkey(args.hotkey) };
  if (!args.detach) {
    const { runService } = await loadPackage<typeof import('@whis/service')>('@whis/service');
    return runService(daemonArgs(args, true));
  }

  const program = daemonProgram();
  const logFile = resolvePaths().logFile;
  ensurePrivateDirSync(dirname(logFile));
  const out = openLogDescriptor(logFile);
  const child = spawn(process.execPath, [program, ...daemonArgs(args, false)], {
    // the program of whis's desktop entry (GNOME's portal needs one): this CLI, not the daemon
    env: { ...process.env, ...(process.argv[1] ? { WHIS_PROGRAM: process.argv[1] } : {}) },
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  // the child's exit (already running, bad config) or 10 s, whichever comes first, ends the wait
  const exited = new AbortController();
  child.once('exit', (code) => exited.abort(code));
  child.unref();
  const ready = deadline(10_000, exited.signal);
  while (!ready.aborted) {
    try {
      const client = await connectToDaemon(daemonEndpoint(), {
        timeoutMs: 1000,
        client: 'whis-cli',
      });
      const pid = client.serverInfo.pid;
      client.close();
      if (pid === child.pid) {
        process.stdout.write(
          `whis is listening in the background (pid ${pid}). Stop it with \`whis stop\`.\n`,
        );
        return ExitCode.Ok;
      }
    } catch {
      // not up yet
    }
    await sleep(100, undefined, { signal: ready }).catch(() => undefined);
  }
  if (exited.signal.aborted) {
    const code = exited.signal.reason as number | null;
    throw new CliError(`The daemon exited at start (code ${code}).`, {
      exitCode: code === ExitCode.AlreadyRunning ? ExitCode.AlreadyRunning : ExitCode.Failure,
      hint: 'See why with `whis logs`.',
    });
  }
  throw new CliError('The daemon did not answer within 10 s.', { hint: 'See `whis logs`.' });
}
