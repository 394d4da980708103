import type { Argv, CommandModule } from 'yargs';

export interface ModelArgs {
  action: 'list' | 'download' | 'remove' | 'add';
  target?: string;
  name?: string;
  mirror?: string;
  type?: string;
  json?: boolean;
}

export const modelCommand: CommandModule<object, ModelArgs> = {
  command: 'model <action> [target]',
  describe: 'Offline speech models: list, download NAME, remove NAME, add DIR --name NAME',
  builder: (yargs) =>
    (yargs as Argv<object>)
      .positional('action', {
        choices: ['list', 'download', 'remove', 'add'] as const,
        describe: 'What to do',
        demandOption: true,
      })
      .positional('target', {
        type: 'string',
        describe: 'The model (download, remove), or the folder to add (add)',
      })
      .option('name', { type: 'string', describe: 'With add: the name to install the folder as' })
      .option('mirror', {
        type: 'string',
        describe:
          'With download: another host with the same paths (default: the modelMirror setting)',
      })
      .option('type', {
        choices: ['nemo-transducer', 'whisper', 'moonshine'] as const,
        describe: 'With add: the kind of model, when its file names do not tell',
      })
      .option('json', { type: 'boolean', describe: 'With list: print JSON' })
      .example('whis model list', 'The models, which are installed, which is in use')
      .example('whis model download parakeet-tdt-0.6b-v3', 'Download and check a model')
      .example('whis model add ~/models/my-parakeet --name mine', 'Install a folder you have')
      .example('whis config set localModel mine', 'Use it') as unknown as Argv<ModelArgs>,
  handler: async (args) => {
    const { runModel } = await import('./model.impl.js');
    process.exitCode = await runModel(args);
  },
};
