import { setTimeout as sleep } from 'node:timers/promises';
import { untilAborted } from '@whis/contracts';
import { connectToDaemon, type IpcClient, type ServiceEvent, type ServiceState } from '@whis/ipc';
import { withDaemon } from '../daemon.js';
import { ExitCode, toCliError } from '../errors.js';
import { formatStatus, stateLabel, waybarLine } from '../format.js';
import { LiveText } from '../live-text.js';
import { daemonEndpoint } from '../runtime.js';
import type { StatusArgs } from './status.js';

type Format = 'text' | 'json' | 'waybar';

function isNotRunning(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'not-running' || code === 'stale';
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runStatus(args: StatusArgs): Promise<number> {
  const format: Format = args.format ?? (args.json ? 'json' : 'text');
  if (args.follow) return follow(format);
  try {
    const status = await withDaemon((client) => client.request('status'));
    if (format === 'json') print(JSON.stringify({ running: true, ...status }));
    else if (format === 'waybar')
      print(
        JSON.stringify(
          waybarLine(status.state, {
            durationMs: status.recording?.durationMs,
            error: status.lastError?.message,
            edit: status.recording?.action === 'edit',
          }),
        ),
      );
    else print(formatStatus(status));
    return ExitCode.Ok;
  } catch (err) {
    if (!isNotRunning(err)) throw err;
    if (format === 'json')
      print(JSON.stringify({ running: false, reason: (err as { code: string }).code }));
    else if (format === 'waybar') print(JSON.stringify(waybarLine('stopped')));
    else print(toCliError(err).message);
    return ExitCode.NotRunning;
  }
}

// Follows the daemon through subscribe; when it is not running, says so once and reconnects with a
// capped backoff, so a status bar started before the daemon shows it as soon as it comes up.
async function follow(format: Format): Promise<number> {
  // SIGINT or SIGTERM ends every wait below at once
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { signal } = stopping;
  let lastPrinted = '';
  const emit = (line: string) => {
    if (line === lastPrinted) return;
    lastPrinted = line;
    print(line);
  };
  // the words of the recording in progress (live transcription, or segments as they are done)
  const live = new LiveText();
  // the recording in progress is an edit by voice
  let editing = false;
  const show = (
    state: ServiceState | 'stopped',
    details: { durationMs?: number; error?: string } = {},
  ) => {
    const words = state === 'recording' || state === 'transcribing' ? live.tail() : '';
    if (format === 'waybar')
      emit(
        JSON.stringify(
          waybarLine(state, {
            ...details,
            ...(words ? { words } : {}),
            ...(editing && state === 'recording' ? { edit: true } : {}),
          }),
        ),
      );
    else if (format === 'json') emit(JSON.stringify({ state, ...details }));
    else if (state === 'stopped') emit('Service: Not running');
    else
      emit(`Service: Running (${stateLabel(state)})${details.error ? ` — ${details.error}` : ''}`);
  };

  let delay = 250;
  while (!signal.aborted) {
    let client: IpcClient;
    try {
      client = await connectToDaemon(daemonEndpoint(), { timeoutMs: 3000, client: 'whis-cli' });
    } catch (err) {
      if (!isNotRunning(err) && (err as { code?: string }).code !== 'unresponsive') throw err;
      show('stopped');
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 5000);
      continue;
    }
    delay = 250;
    try {
      let state: ServiceState = 'idle';
      let error: string | undefined;
      let lastSecond = -1;
      const closed = new Promise<void>((resolve) => client.onClose(resolve));
      await client.subscribe((event: ServiceEvent) => {
        if (event.type === 'transcript.delta' || event.type === 'transcript.segment') {
          if (!live.apply(event)) return;
          if (format === 'text') emit(`  Text: ${live.text}`);
          else if (format === 'json')
            emit(JSON.stringify({ state, recordingId: live.recordingId, text: live.text }));
          else show(state, { durationMs: lastSecond >= 0 ? lastSecond * 1000 : undefined });
        } else if (event.type === 'state') {
          state = event.state;
          if (state === 'recording') {
            error = undefined;
            editing = event.action === 'edit';
            live.reset(event.recordingId);
          }
          lastSecond = -1;
          show(state, { error });
        } else if (event.type === 'error') {
          error = event.error.message;
          show(state, { error });
        } else if (event.type === 'attempt') {
          const retry = `upload attempt ${event.attempt} of ${event.attempts} (the one before: ${event.previousError ?? 'failed'})`;
          if (format === 'text') emit(`Service: Running (${stateLabel(state)}) — ${retry}`);
          else if (format === 'json')
            emit(
              JSON.stringify({
                state,
                recordingId: event.recordingId,
                attempt: event.attempt,
                attempts: event.attempts,
              }),
            );
        } else if (event.type === 'level' && format === 'waybar') {
          const second = Math.floor(event.durationMs / 1000);
          if (second !== lastSecond) {
            lastSecond = second;
            show('recording', { durationMs: event.durationMs });
          }
        }
      });
      const status = await client.request('status');
      state = status.state;
      error = status.lastError?.message;
      show(state, { durationMs: status.recording?.durationMs, error });
      await untilAborted(closed, signal).catch(() => undefined);
    } finally {
      client.close();
    }
  }
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  return ExitCode.Ok;
}
