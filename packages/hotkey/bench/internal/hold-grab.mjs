// The process idle-grab.mjs measures: the X11 key grab and nothing else. Prints `ready` once its
// keys are grabbed; SIGTERM stops it.
// Usage: node bench/internal/hold-grab.mjs <a dist of @whis/hotkey> <editHotkey or none>
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// the measured process: the trigger, nothing else
const [dist, editHotkey] = process.argv.slice(2);
const { createHotkeyTrigger } = await import(pathToFileURL(resolve(dist, 'index.js')).href);
const trigger = createHotkeyTrigger({ hotkey: 'ctrl+shift+r', editHotkey, backend: 'x11' });
let available = false;
trigger.onEvent((event) => {
  if (event.type === 'unavailable') throw new Error(event.reason);
  if (event.type === 'available') available = true;
});
await trigger.start();
// the edit key's state is read, not announced: looked at until both keys are held
const poll = setInterval(() => {
  if (!available || (trigger.edit && trigger.edit.state !== 'available')) return;
  clearInterval(poll);
  console.log('ready');
}, 20);
process.once('SIGTERM', () => void trigger.stop().then(() => process.exit(0)));
