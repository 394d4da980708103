#!/usr/bin/env node
// whisd — the whis service. This file is the composition root and reads top to bottom:
// config → logger → adapters → service host → IPC server → signals.
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';
import { readSettings, resolvePaths } from '@whis/config';
import {
  acquireInstance,
  createJournal,
  createServiceHost,
  resolveRuntimeDir,
  serveOverIpc,
} from '@whis/service-core';
import {
  createAudioSource,
  createLazyTranscriber,
  createOutputs,
  createTriggers,
  describeProblems,
} from './adapters.js';
import { createLogger } from './logger.js';
import { parseDaemonArgs } from './options.js';
import { reportProgress } from './progress.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

// PortAudio prints diagnostics on stdout that cannot be turned off, so `whis listen` reads the
// progress lines from fd 3 when it opened one, and stdout is left to the noise.
function progressStream(): NodeJS.WritableStream {
  try {
    // only a pipe or socket someone handed us; fd 3 may otherwise be one of Node's own
    const stat = fstatSync(3);
    if (stat.isSocket() || stat.isFIFO()) return new net.Socket({ fd: 3, readable: false });
  } catch {
    // not open
  }
  return process.stdout;
}

async function main(): Promise<number> {
  // 1. config
  const paths = resolvePaths();
  const settings = await readSettings(paths.settingsFile);
  const options = parseDaemonArgs(process.argv.slice(2), settings);

  // 2. logger: JSON lines to the state dir; pretty on stderr when a person watches
  const logger = createLogger({
    file: paths.logFile,
    level: options.logLevel,
    prettyToStderr: Boolean(process.stderr.isTTY) && !options.progress,
  });
  logger.info(
    { version, pid: process.pid, hotkey: options.hotkey, pushToTalk: options.pushToTalk },
    'whisd starting',
  );

  // 3. adapters: the microphone and the hotkey listener load their native parts on first use
  const audio = createAudioSource(settings, logger);
  const transcriber = createLazyTranscriber(paths.settingsFile, logger);
  const output = createOutputs(settings, join(paths.dataDir, 'transcripts.txt'));
  const triggers = createTriggers(options, logger);
  const journal = createJournal({
    directory: paths.recordingsDir,
    keepAudio: settings.keepAudio ?? 0,
  });

  // 4. the single instance comes first, so a second `whis listen` exits before touching anything
  const runtime = await resolveRuntimeDir();
  const instance = await acquireInstance(runtime);

  // 5. the service and its socket
  const host = createServiceHost({
    audio,
    transcriber,
    output,
    journal,
    triggers,
    logger: logger.child({ component: 'host' }),
    info: { version, hotkey: options.hotkey },
    problems: () => describeProblems(paths.settingsFile),
  });
  const server = await serveOverIpc(host, instance, {
    version,
    logger: logger.child({ component: 'ipc' }),
  });
  logger.info({ socket: instance.socketPath }, 'whisd listening');
  if (options.progress) reportProgress(host, options, progressStream());

  // 6. signals: stop (a signal, `whis stop`, or our socket file removed) finishes or keeps the
  // work in progress, lets the answer go out, then releases our files
  let lost = false;
  const stopped = new Promise<void>((resolve) => {
    host.onShutdown(resolve);
    const stop = (reason: string) => {
      logger.info({ reason }, 'stopping');
      void host.shutdown();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    instance.onLost(() => {
      lost = true;
      logger.error(
        { socket: instance.socketPath },
        'the socket file was removed; stopping so that a new `whis listen` can take over',
      );
      stop('socket lost');
    });
  });
  await stopped;
  await server.close();
  await instance.release();
  logger.info('whisd stopped');
  logger.flush();
  return lost ? 1 : 0;
}

process.exitCode = await main().catch((err: unknown) => {
  const code = (err as { code?: string }).code;
  process.stderr.write(`whisd: ${(err as Error).message}\n`);
  return code === 'already-running' ? 6 : code === 'unresponsive' ? 4 : 1;
});
