import type { Argv, CommandModule } from 'yargs';

export interface ConfigArgs {
  apiKey?: string;
  show?: boolean;
  path?: boolean;
  json?: boolean;
  key?: string;
  value?: string;
  action?: 'set' | 'unset' | 'get';
}

function handler(action: ConfigArgs['action']) {
  return async (args: ConfigArgs) => {
    const { runConfig } = await import('./config.impl.js');
    process.exitCode = await runConfig({ ...args, action });
  };
}

export const configCommand: CommandModule<object, ConfigArgs> = {
  command: 'config',
  describe: 'Show or change settings (the API key, model, hotkey, …)',
  builder: (yargs: Argv) =>
    yargs
      .command<ConfigArgs>(
        'set <key> <value>',
        'Set a setting',
        // a string as typed: `keepAudio 5` and `segmentSeconds 10` are parsed by the setting's kind
        (y) => y.positional('value', { type: 'string' }) as Argv<ConfigArgs>,
        handler('set'),
      )
      .command<ConfigArgs>('unset <key>', 'Remove a setting', (y) => y, handler('unset'))
      .command<ConfigArgs>('get <key>', 'Print one setting', (y) => y, handler('get'))
      .option('api-key', {
        type: 'string',
        describe: 'Save the API key (kept readable only by you)',
      })
      .option('show', { type: 'boolean', describe: 'Print the settings, the key masked' })
      .option('json', { type: 'boolean', describe: 'With --show: print JSON' })
      .option('path', {
        type: 'boolean',
        describe: 'Print where the settings file is',
      }) as Argv<ConfigArgs>,
  handler: handler(undefined),
};
