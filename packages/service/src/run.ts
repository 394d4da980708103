// The whis service, as one function: `whisd` runs it, and so does a foreground `whis listen`, in
// its own process (no wrapper). It reads top to bottom: settings → logger → composition → single
// instance and journal lock → service host → IPC server → signals.
import { createRequire } from 'node:module';
import { ExitCode, exitCodeFor, isWaylandSession } from '@whis/contracts';
import { editHotkeyOf, ensurePrivateDir, readSettings, resolvePaths } from '@whis/config';
import {
  acquireInstance,
  createJournal,
  lockJournal,
  resolveRuntimeDir,
  serveOverIpc,
} from '@whis/service-core';
import { assembleHost } from './assemble.js';
import { gnomeWithoutGlobalShortcuts } from './catalogue/triggers.js';
import { composeService } from './compose.js';
import { createLogger } from './logger.js';
import { parseDaemonArgs, UsageError } from './options.js';
import { reportProgress } from './progress.js';
import { takeOverTerminal, type TerminalOutput } from './terminal.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * Runs the service until it is stopped (a signal, `whis stop`, or its socket file removed) and
 * resolves with the process's exit code. `argv`: `[-k HOTKEY | --no-hotkey] [--hotkey-backend auto|x11|portal|none] [--push-to-talk]
 * [--progress] [--log-level LEVEL]`; `--progress` makes it a foreground service that prints its
 * progress for the person at the terminal.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP each stop it gracefully — the recording in progress is
 * finished and transcribed (or kept), transcriptions in flight get up to 30 s, the socket and PID
 * file are removed. A second SIGINT or SIGTERM during that stop says what is still pending and stops
 * at once, keeping that audio for `whis retry`. SIGHUP (the terminal closed) also stops writing to
 * the terminal.
 */
export async function runService(argv: string[]): Promise<number> {
  const foreground = argv.includes('--progress');
  // before anything opens a file: descriptor 1 is swapped for /dev/null here
  const terminal: TerminalOutput | undefined = foreground ? takeOverTerminal() : undefined;
  try {
    return await serve(argv, terminal);
  } catch (err) {
    const message = `whis: ${(err as Error).message}\n`;
    if (terminal) terminal.stderr.write(message);
    else process.stderr.write(message);
    return err instanceof UsageError ? ExitCode.Usage : exitCodeFor(err);
  }
}

async function serve(argv: string[], terminal: TerminalOutput | undefined): Promise<number> {
  // 1. config
  const paths = resolvePaths();
  const settings = await readSettings(paths.settingsFile);
  const options = parseDaemonArgs(argv, settings);

  // 2. logger: JSON lines to the state dir; pretty on stderr when a person watches
  const logger = createLogger({
    file: paths.logFile,
    level: options.logLevel,
    pretty: terminal ? undefined : process.stderr.isTTY ? process.stderr : undefined,
  });
  logger.info(
    {
      version,
      pid: process.pid,
      hotkey: options.hotkey,
      hotkeyBackend: options.hotkeyBackend,
      pushToTalk: options.pushToTalk,
    },
    'whisd starting',
  );

  // GNOME 47 and older have no GlobalShortcuts portal: the key is the custom shortcut `whis setup`
  // writes, which runs `whis toggle`, so the service listens for no key of its own there
  let gnomeShortcut = false;
  if (
    options.hotkey &&
    options.hotkeyBackend === 'auto' &&
    process.platform === 'linux' &&
    isWaylandSession(process.env) &&
    /gnome/i.test(process.env.XDG_CURRENT_DESKTOP ?? '')
  ) {
    const shell = await gnomeWithoutGlobalShortcuts(process.env);
    if (shell) {
      gnomeShortcut = true;
      logger.info(
        { gnomeShell: shell },
        'GNOME before 48 has no GlobalShortcuts portal: the hotkey is the GNOME custom shortcut `whis setup` writes (it runs `whis toggle`)',
      );
    }
  }

  // 3. the parts, from the catalogue: the microphone and the hotkey listener load their native
  // parts on first use
  const parts = composeService({
    settings,
    source: { file: paths.settingsFile },
    defaultTranscriptFile: paths.transcriptFile,
    logger,
    edit: true,
    ...(options.hotkey && !gnomeShortcut
      ? {
          trigger: {
            hotkey: options.hotkey,
            pushToTalk: options.pushToTalk,
            backend: options.hotkeyBackend,
          },
        }
      : {}),
  });

  // on GNOME 47 and older the edit key is the second custom shortcut `whis setup` writes too
  if (gnomeShortcut && parts.edit)
    parts.edit = {
      ...parts.edit,
      hotkey: editHotkeyOf(settings) ?? null,
      key: () => ({ binding: 'a GNOME custom shortcut, runs whis edit' }),
    };

  // 4. the single instance comes first, so a second `whis listen` exits before touching anything;
  // then the journal's one owner: a second service on the same data directory (another runtime
  // directory, so another socket) is refused before it can mistake live recordings for crashed ones
  const runtime = await resolveRuntimeDir();
  const instance = await acquireInstance(runtime);
  let journalLock;
  try {
    await ensurePrivateDir(paths.dataDir);
    journalLock = await lockJournal(paths.recordingsDir, { socketPath: instance.socketPath });
  } catch (err) {
    await instance.release();
    throw err;
  }
  const journal = createJournal({
    directory: paths.recordingsDir,
    retention: { keepAudio: settings.keepAudio ?? 0 },
    logger: logger.child({ component: 'journal' }),
  });

  // 5. the service and its socket
  const host = assembleHost(parts, {
    journal,
    info: {
      version,
      hotkey: options.hotkey,
      ...(gnomeShortcut ? { hotkeyBackend: 'gnome-shortcut' } : {}),
    },
    logger: logger.child({ component: 'host' }),
  });
  const server = await serveOverIpc(host, instance, {
    version,
    logger: logger.child({ component: 'ipc' }),
  });
  logger.info({ socket: instance.socketPath }, 'whisd listening');
  parts.prepare();
  if (terminal) reportProgress(host, options, terminal.progress);

  // 6. signals: the first stops gracefully, a second (SIGINT/SIGTERM) stops at once, keeping audio
  let lost = false;
  const say = (line: string) => terminal?.progress.write(`${line}\n`);
  const stopped = new Promise<void>((resolve) => host.onShutdown(resolve));
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    const { recording, transcribing } = host.pending();
    if (recording || transcribing.length > 0)
      say('Stopping: finishing the work in progress (Ctrl+C again to stop at once)…');
    void host.shutdown();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') terminal?.detach();
    if (!stopping) return stop(signal);
    if (signal === 'SIGHUP') return;
    const { recording, transcribing } = host.pending();
    const pending = [...(recording ? [recording] : []), ...transcribing];
    logger.warn({ signal, pending }, 'stopping at once');
    say(
      pending.length > 0
        ? `Stopping at once; kept for \`whis retry\`: ${pending.join(', ')}`
        : 'Stopping at once.',
    );
    void host.abortShutdown();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  instance.onLost(() => {
    lost = true;
    logger.error(
      { socket: instance.socketPath },
      'the socket file was removed; stopping so that a new `whis listen` can take over',
    );
    stop('socket lost');
  });
  await stopped;
  await parts.close();
  await server.close();
  await instance.release();
  await journalLock.release();
  logger.info('whisd stopped');
  logger.flush();
  // the handlers stay until here: a late signal must not hit Node's default (immediate death)
  for (const signal of signals) process.off(signal, onSignal);
  return lost ? ExitCode.Failure : ExitCode.Ok;
}
