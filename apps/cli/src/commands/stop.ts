import type { CommandModule } from 'yargs';

export const stopCommand: CommandModule = {
  command: 'stop',
  describe: 'Stop the service (a recording in progress is transcribed or kept)',
  handler: async () => {
    const { runStop } = await import('./stop.impl.js');
    process.exitCode = await runStop();
  },
};
