import type { CommandModule } from 'yargs';

export interface DevicesArgs {
  json?: boolean;
}

export const devicesCommand: CommandModule<object, DevicesArgs> = {
  command: 'devices',
  describe: 'List the microphones (for `whis config set device …`)',
  builder: (yargs) => yargs.option('json', { type: 'boolean', describe: 'Print JSON' }),
  handler: async (args) => {
    const { runDevices } = await import('./devices.impl.js');
    process.exitCode = await runDevices(args);
  },
};
