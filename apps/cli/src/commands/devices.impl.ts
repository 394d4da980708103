import { loadPackage } from '../lazy.js';
import { ExitCode } from '../errors.js';
import type { DevicesArgs } from './devices.js';

export async function runDevices(args: DevicesArgs): Promise<number> {
  const { listInputDevices } = await loadPackage<typeof import('@whis/audio')>('@whis/audio');
  const devices = await listInputDevices();
  if (args.json) {
    process.stdout.write(`${JSON.stringify(devices)}\n`);
  } else if (devices.length === 0) {
    process.stdout.write(
      'No input devices. Check that a microphone is connected and PulseAudio or PipeWire runs.\n',
    );
  } else {
    for (const d of devices) {
      const mark = d.isDefault ? '*' : ' ';
      process.stdout.write(
        `${mark} ${String(d.index).padStart(3)}  ${d.name}  (${d.hostApi}, ${d.defaultSampleRate} Hz, ${d.channels} ch)\n`,
      );
    }
  }
  return ExitCode.Ok;
}
