import type { CommandModule } from 'yargs';

export interface LastArgs {
  n: number;
  json?: boolean;
  paste?: boolean;
  raw?: boolean;
  original?: boolean;
}

export const lastCommand: CommandModule<object, LastArgs> = {
  command: 'last',
  describe: 'Print the latest transcripts',
  builder: (yargs) =>
    yargs
      .option('n', { alias: 'count', type: 'number', default: 1, describe: 'How many' })
      .option('json', {
        type: 'boolean',
        describe: 'Print JSON (text as delivered, and raw: as the recogniser heard it)',
      })
      .option('raw', {
        type: 'boolean',
        describe: 'Print the text as the recogniser heard it, before post-processing',
      })
      .option('paste', {
        type: 'boolean',
        describe: 'Paste the latest (or the nth latest, with -n) into the focused window',
      })
      .option('original', {
        type: 'boolean',
        describe:
          'For an edit by voice: the text it replaced (with --paste, put it back: an undo that works in any application)',
      }),
  handler: async (args) => {
    const { runLast } = await import('./last.impl.js');
    process.exitCode = await runLast(args);
  },
};
