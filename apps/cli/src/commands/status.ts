import type { CommandModule } from 'yargs';

export interface StatusArgs {
  json?: boolean;
  follow?: boolean;
  format?: 'text' | 'json' | 'waybar';
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'Show whether the service runs and what it is doing',
  builder: (yargs) =>
    yargs
      .option('json', {
        type: 'boolean',
        describe: 'Print the status as JSON (same as --format json)',
      })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        describe: 'Keep printing changes until interrupted',
      })
      .option('format', {
        choices: ['text', 'json', 'waybar'] as const,
        describe: 'Output format; waybar prints {"text","alt","class","tooltip"} lines',
      }),
  handler: async (args) => {
    const { runStatus } = await import('./status.impl.js');
    process.exitCode = await runStatus(args);
  },
};
