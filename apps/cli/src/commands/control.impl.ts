import type { IpcClient, ServiceEvent, StateChangeResult } from '@whis/ipc';
import { withDaemon } from '../daemon.js';
import { ExitCode } from '../errors.js';
import type { ControlArgs, ControlVerb } from './control.js';

function describe(verb: ControlVerb, result: StateChangeResult): string {
  if (result.recordingId === null)
    return verb === 'cancel' ? 'Nothing to cancel.' : 'Nothing to do.';
  if (verb === 'cancel') return `Recording ${result.recordingId} discarded.`;
  if (result.state === 'recording' && verb !== 'finish')
    return `Recording ${result.recordingId}… (\`whis toggle\` or \`whis finish\` to stop)`;
  return `Recording ${result.recordingId} finished; transcribing…`;
}

// Subscribes before acting so that the transcript event of the recording this call ends cannot be missed.
async function waitForTranscript(
  client: IpcClient,
  act: () => Promise<StateChangeResult>,
): Promise<number> {
  let target: string | null = null;
  const early: ServiceEvent[] = [];
  let settle: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (settle = resolve));
  const onEvent = (event: ServiceEvent) => {
    if (target === null) {
      early.push(event);
      return;
    }
    if (event.type === 'transcript' && event.recordingId === target) {
      process.stdout.write(`${event.text}\n`);
      settle(ExitCode.Ok);
    } else if (event.type === 'error' && event.error.recordingId === target) {
      process.stderr.write(`whis: ${event.error.message}\n`);
      settle(ExitCode.Failure);
    }
  };
  await client.subscribe(onEvent);
  client.onClose(() => {
    process.stderr.write(
      target
        ? `whis: the service stopped before recording ${target} was transcribed; its audio is kept: \`whis retry ${target}\` once it runs again.\n`
        : 'whis: the service closed the connection.\n',
    );
    settle(ExitCode.Failure);
  });
  const result = await act();
  if (result.state === 'recording' || result.recordingId === null) {
    process.stderr.write(`${describe('toggle', result)}\n`);
    return ExitCode.Ok;
  }
  target = result.recordingId;
  process.stderr.write(`${describe('finish', result)}\n`);
  for (const event of early.splice(0)) onEvent(event);
  return done;
}

export async function runControl(verb: ControlVerb, args: ControlArgs): Promise<number> {
  return withDaemon(async (client) => {
    // a cancelled recording has no transcript to wait for
    if (args.wait && verb !== 'cancel')
      return waitForTranscript(client, () => client.request(verb));
    const result = await client.request(verb);
    process.stdout.write(`${describe(verb, result)}\n`);
    return ExitCode.Ok;
  });
}
