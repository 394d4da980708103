import type { CommandModule } from 'yargs';

export interface LogsArgs {
  follow?: boolean;
  lines: number;
  path?: boolean;
}

export const logsCommand: CommandModule<object, LogsArgs> = {
  command: 'logs',
  describe: "Show the daemon's log",
  builder: (yargs) =>
    yargs
      .option('follow', { alias: 'f', type: 'boolean', describe: 'Keep printing new lines' })
      .option('lines', {
        alias: 'n',
        type: 'number',
        default: 50,
        describe: 'How many of the last lines',
      })
      .option('path', { type: 'boolean', describe: 'Print where the log file is' }),
  handler: async (args) => {
    const { runLogs } = await import('./logs.impl.js');
    process.exitCode = await runLogs(args);
  },
};
