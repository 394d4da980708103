import type { CommandModule } from 'yargs';

export interface RetryArgs {
  id?: string;
}

export const retryCommand: CommandModule<object, RetryArgs> = {
  command: 'retry [id]',
  describe: 'Transcribe a kept recording again (default: the latest without a transcript)',
  builder: (yargs) =>
    yargs.positional('id', { type: 'string', describe: 'Recording id (see `whis last --json`)' }),
  handler: async (args) => {
    const { runRetry } = await import('./retry.impl.js');
    process.exitCode = await runRetry(args);
  },
};
