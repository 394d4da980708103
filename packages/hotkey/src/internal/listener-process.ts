// The uiohook backend, in a process of its own: loading uiohook without a usable X display exits
// the process and a bad display aborts it, so the host only ever reads these JSON lines:
// {"t":"ready"} once listening, then {"t":"down"|"up","k":"<UiohookKey name>"} per key.
// It exits when its stdin closes (the host went away) so that no listener outlives its host.
import { UiohookKey, uIOhook } from 'uiohook-napi';

const names = new Map<number, string>(
  Object.entries(UiohookKey).map(([name, code]) => [code as number, name]),
);
const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

uIOhook.on('keydown', (e) => send({ t: 'down', k: names.get(e.keycode) ?? `code:${e.keycode}` }));
uIOhook.on('keyup', (e) => send({ t: 'up', k: names.get(e.keycode) ?? `code:${e.keycode}` }));
uIOhook.start();
send({ t: 'ready' });

process.stdin.on('end', () => {
  uIOhook.stop();
  process.exit(0);
});
process.stdin.resume();
