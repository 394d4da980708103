// The device lister (see `listInputDevices`): enumerates in this process, whose stdout and stderr
// are pipes its parent reads, and sends the list, or the coded error, over the IPC channel.
import { Worker } from 'node:worker_threads';
import { AudioError } from '../errors.js';
import { listInputDevicesHere, type DeviceListMessage } from '../microphone.js';

// PortAudio can hang in the enumeration (a sound server that does not answer), and this thread with
// it. The parent ends a lister that takes too long; a parent that is gone (SIGKILL) cannot, so a
// thread of its own watches: once this process has a new parent, it ends it.
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
   setInterval(() => {
     if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL');
   }, 100);`,
  { eval: true, workerData: { parent: process.ppid } },
);
watchdog.unref();

const send = (message: DeviceListMessage) => process.send?.(message);
try {
  send({ devices: listInputDevicesHere() });
} catch (err) {
  send({
    error: {
      code: err instanceof AudioError ? err.code : 'native-unavailable',
      message: (err as Error).message,
    },
  });
}
process.disconnect?.();
