import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectToDaemon } from '@whis/ipc';
import { resolvePaths } from '@whis/config';
import { CliError, ExitCode } from '../errors.js';
import { daemonEndpoint } from '../runtime.js';
import type { ListenArgs } from './listen.js';

// ALSA and JACK print device-probing noise on stderr that no setting silences; everything
// else the daemon says on stderr reaches the terminal.
const NOISE =
  /^(ALSA lib |Cannot connect to server|jack server is not running|JackShm|Jack: |PortAudio V|Input audio options|Input device name|Finishing input)/;

export function forwardStderr(stream: NodeJS.ReadableStream): void {
  createInterface({ input: stream }).on('line', (line) => {
    if (!NOISE.test(line)) process.stderr.write(`${line}\n`);
  });
}

/** Path of the daemon program, `whisd`, from the @whis/daemon package this CLI depends on. */
export function daemonProgram(): string {
  const manifest = createRequire(import.meta.url).resolve('@whis/daemon/package.json');
  return join(dirname(manifest), 'dist', 'main.js');
}

function daemonArgs(args: ListenArgs, progress: boolean): string[] {
  const out: string[] = [];
  if (args.noHotkey) out.push('--no-hotkey');
  else if (args.hotkey) out.push('--hotkey', args.hotkey);
  if (args.pushToTalk) out.push('--push-to-talk');
  if (progress) out.push('--progress');
  return out;
}

// The daemon is its own program (whisd): `whis listen` runs it in the foreground with the terminal
// attached, passing signals through, or starts it detached and returns once it answers on the socket.
export async function runListen(args: ListenArgs): Promise<number> {
  const program = daemonProgram();
  if (!args.detach) {
    const child = spawn(process.execPath, [program, ...daemonArgs(args, true)], {
      stdio: ['inherit', 'ignore', 'pipe', 'pipe'],
    });
    (child.stdio[3] as NodeJS.ReadableStream).pipe(process.stdout);
    forwardStderr(child.stderr!);
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const code = await new Promise<number>((resolve) =>
      child.once('exit', (exitCode, signal) =>
        resolve(exitCode ?? (signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Failure)),
      ),
    );
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    return code;
  }

  const logFile = resolvePaths().logFile;
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const out = openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [program, ...daemonArgs(args, false)], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.unref();
  // Wait until it answers (or exits: already running, bad config), up to 10 s.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const early = await Promise.race([
      exited,
      new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100)),
    ]);
    if (early !== 'wait') {
      throw new CliError(`The daemon exited at start (code ${early}).`, {
        exitCode: early === ExitCode.AlreadyRunning ? ExitCode.AlreadyRunning : ExitCode.Failure,
        hint: 'See why with `whis logs`.',
      });
    }
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
  }
  throw new CliError('The daemon did not answer within 10 s.', { hint: 'See `whis logs`.' });
}
