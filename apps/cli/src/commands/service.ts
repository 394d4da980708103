import type { Argv, CommandModule } from 'yargs';

export interface ServiceArgs {
  action: 'install' | 'uninstall' | 'print';
  enable?: boolean;
}

function sub(action: ServiceArgs['action'], describe: string): CommandModule<object, ServiceArgs> {
  return {
    command: action,
    describe,
    builder: (yargs) =>
      action === 'install'
        ? (yargs.option('enable', {
            type: 'boolean',
            default: true,
            describe: 'Enable and start it now with systemctl --user',
          }) as Argv<ServiceArgs>)
        : (yargs as Argv<ServiceArgs>),
    handler: async (args) => {
      const { runService } = await import('./service.impl.js');
      process.exitCode = await runService({ ...args, action });
    },
  };
}

export const serviceCommand: CommandModule = {
  command: 'service',
  describe: 'Run whis as a systemd user service (starts with your session)',
  builder: (yargs) =>
    yargs
      .command(sub('install', 'Write ~/.config/systemd/user/whis.service and enable it'))
      .command(sub('uninstall', 'Disable and remove the unit'))
      .command(sub('print', 'Print the unit file'))
      .demandCommand(1, 'Say install, uninstall or print.'),
  handler: () => undefined,
};
