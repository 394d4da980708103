// The uiohook backend, in a process of its own: loading uiohook without a usable X display exits
// the process and a bad display aborts it, so the host only ever reads these JSON lines:
// {"t":"ready"} once listening, then {"t":"down"|"up","k":"<UiohookKey name>"} per key of the
// chord. argv[2] names those keys (comma separated): the chord's key and the modifiers, which the
// matcher needs to see; nothing else the user types crosses the pipe.
// It exits when its stdin closes (the host went away) so that no listener outlives its host.
import { UiohookKey, uIOhook } from 'uiohook-napi';

const names = new Map<number, string>(
  Object.entries(UiohookKey).map(([name, code]) => [code as number, name]),
);
const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const wanted = new Set((process.argv[2] ?? '').split(',').filter(Boolean));
if (wanted.size === 0) {
  process.stderr.write('usage: listener-process <key,key,…>: the keys of the chord to report\n');
  process.exit(2);
}
const report = (t: 'down' | 'up', keycode: number) => {
  const k = names.get(keycode);
  if (k !== undefined && wanted.has(k)) send({ t, k });
};

uIOhook.on('keydown', (e) => report('down', e.keycode));
uIOhook.on('keyup', (e) => report('up', e.keycode));
uIOhook.start();
send({ t: 'ready' });

process.stdin.on('end', () => {
  uIOhook.stop();
  process.exit(0);
});
process.stdin.resume();
