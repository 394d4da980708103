import type { CommandModule } from 'yargs';

export interface RecordArgs {
  device?: string;
  clipboard?: boolean;
}

export const recordCommand: CommandModule<object, RecordArgs> = {
  command: '$0',
  describe: 'Record once: speak, press Enter, get the text on the clipboard and stdout',
  builder: (yargs) =>
    yargs
      .option('device', {
        type: 'string',
        describe: 'Microphone name or index (see `whis devices`)',
      })
      .option('clipboard', {
        type: 'boolean',
        default: true,
        describe: 'Also copy the text (--no-clipboard: stdout only)',
      }),
  handler: async (args) => {
    const { runRecord } = await import('./record.impl.js');
    process.exitCode = await runRecord(args);
  },
};
