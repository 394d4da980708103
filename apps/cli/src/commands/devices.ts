import type { CommandModule } from 'yargs';

export interface DevicesArgs {
  json?: boolean;
}

export const devicesCommand: CommandModule<object, DevicesArgs> = {
  command: 'devices',
  describe: 'List the microphones (for `whis config set device …`)',
  builder: (yargs) => yargs.option('json', { type: 'boolean', describe: 'Print JSON' }),
  handler: async (args) => {
    const { listInputDevices } = await import('@whis/audio');
    const devices = await listInputDevices();
    if (args.json) {
      process.stdout.write(`${JSON.stringify(devices)}\n`);
    } else if (devices.length === 0) {
      process.stdout.write(
        'No input devices. Check that a microphone is connected and PulseAudio or PipeWire runs.\n',
      );
    } else {
      for (const d of devices) {
        process.stdout.write(
          `${d.isDefault ? '*' : ' '} ${String(d.index).padStart(3)}  ${d.name}  (${d.hostApi}, ${d.defaultSampleRate} Hz, ${d.channels} ch)\n`,
        );
      }
    }
    process.exitCode = 0;
  },
};
