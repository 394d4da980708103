import type { CommandModule } from 'yargs';

export interface DoctorArgs {
  json?: boolean;
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Check everything a dictation needs, each with its fix (exit 0 when all is there)',
  builder: (yargs) => yargs.option('json', { type: 'boolean', describe: 'Print JSON' }),
  handler: async (args) => {
    const { runDoctor } = await import('./doctor.impl.js');
    process.exitCode = await runDoctor(args);
  },
};
