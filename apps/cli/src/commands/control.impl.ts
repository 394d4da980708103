import type { IpcClient, ServiceEvent, StateChangeResult } from '@whis/ipc';
import { withDaemon } from '../daemon.js';
import { ExitCode } from '../errors.js';
import { EDIT_OUTCOMES } from '../format.js';
import { LinePrinter } from '../live-text.js';
import type { ControlArgs, ControlVerb } from './control.js';

function describe(verb: ControlVerb, result: StateChangeResult, edit = false): string {
  if (result.recordingId === null)
    return verb === 'cancel' ? 'Nothing to cancel.' : 'Nothing to do.';
  if (verb === 'cancel') return `Recording ${result.recordingId} discarded.`;
  if (result.state === 'recording' && verb !== 'finish')
    return edit
      ? `Say what to change in the selection (recording ${result.recordingId}; \`whis edit\` or \`whis finish\` to stop)…`
      : `Recording ${result.recordingId}… (\`whis toggle\` or \`whis finish\` to stop)`;
  return `Recording ${result.recordingId} finished; transcribing…`;
}

// Subscribes before acting so that the transcript event of the recording this call ends cannot be
// missed. With `live`, a recording this call starts is followed too, its text printed as it comes.
async function waitForTranscript(
  client: IpcClient,
  act: () => Promise<StateChangeResult>,
  live = false,
  edit = false,
): Promise<number> {
  const printer = new LinePrinter((text) => process.stdout.write(text));
  let target: string | null = null;
  const early: ServiceEvent[] = [];
  let settled = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  // only the first outcome is reported: the connection closing after the transcript arrived is
  // this command's own doing, not news
  const settle = (code: number) => {
    if (settled) return;
    settled = true;
    resolveDone(code);
  };
  const onEvent = (event: ServiceEvent) => {
    if (target === null) {
      early.push(event);
      return;
    }
    if (
      live &&
      (event.type === 'transcript.delta' || event.type === 'transcript.segment') &&
      event.recordingId === target
    ) {
      printer.take(event);
    } else if (event.type === 'transcript' && event.recordingId === target) {
      if (live) printer.finish();
      if (event.edit) {
        // the live line showed the instruction; the answer is what the user wants to see
        if (live && printer.printedAny) process.stdout.write('\n');
        process.stdout.write(`${event.text}\n`);
        // what the edit did, on stderr beside its answer on stdout
        const said = EDIT_OUTCOMES[event.edit.outcome];
        process.stderr.write(`${said.charAt(0).toUpperCase()}${said.slice(1)}.\n`);
      } else process.stdout.write(live && printer.printedAny ? '\n' : `${event.text}\n`);
      settle(ExitCode.Ok);
    } else if (event.type === 'error' && event.error.recordingId === target) {
      process.stderr.write(`whis: ${event.error.message}\n`);
      settle(ExitCode.Failure);
    }
  };
  await client.subscribe(onEvent);
  client.onClose(() => {
    if (settled) return;
    process.stderr.write(
      target
        ? `whis: the service stopped before recording ${target} was transcribed; its audio is kept: \`whis retry ${target}\` once it runs again.\n`
        : 'whis: the service closed the connection.\n',
    );
    settle(ExitCode.Failure);
  });
  const result = await act();
  if (result.recordingId === null || (result.state === 'recording' && !live)) {
    process.stderr.write(`${describe('toggle', result, edit)}\n`);
    return ExitCode.Ok;
  }
  target = result.recordingId;
  process.stderr.write(
    `${describe(result.state === 'recording' ? 'toggle' : 'finish', result, edit)}\n`,
  );
  for (const event of early.splice(0)) onEvent(event);
  return done;
}

// A start answers once the microphone delivers, and a finish once the capture is closed: on a busy
// machine that takes longer than a status answer, and a key press is better late than refused. The
// connection gets the same time: a service starved for a few seconds answers its greeting late too.
const CHANGE_TIMEOUT_MS = 15_000;

export async function runControl(verb: ControlVerb, args: ControlArgs): Promise<number> {
  const edit = verb === 'edit' || args.edit === true;
  return withDaemon(
    async (client) => {
      const options = { timeoutMs: CHANGE_TIMEOUT_MS };
      const act = () =>
        verb === 'toggle' || verb === 'edit'
          ? client.request('toggle', edit ? { action: 'edit' } : undefined, options)
          : verb === 'start'
            ? client.request('start', edit ? { action: 'edit' } : undefined, options)
            : client.request(verb, undefined, options);
      // a cancelled recording has no transcript to wait for
      if ((args.wait || args.live) && verb !== 'cancel')
        return waitForTranscript(client, act, args.live ?? false, edit);
      const result = await act();
      process.stdout.write(`${describe(verb === 'edit' ? 'toggle' : verb, result, edit)}\n`);
      return ExitCode.Ok;
    },
    { timeoutMs: CHANGE_TIMEOUT_MS },
  );
}
