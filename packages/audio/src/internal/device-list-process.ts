// The device lister (see `listInputDevices`): enumerates in this process, whose stdout and stderr
// are pipes its parent reads, and sends the list, or the coded error, over the IPC channel.
import { AudioError } from '../errors.js';
import { listInputDevicesHere, type DeviceListMessage } from '../microphone.js';

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
