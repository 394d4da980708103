import type { CommandModule } from 'yargs';

export type ControlVerb = 'toggle' | 'start' | 'finish' | 'cancel';

export interface ControlArgs {
  wait?: boolean;
  live?: boolean;
}

function controlCommand(
  verb: ControlVerb,
  describe: string,
  canWait: boolean,
): CommandModule<object, ControlArgs> {
  return {
    command: verb,
    describe,
    builder: (yargs) =>
      canWait
        ? yargs
            .option('wait', {
              alias: 'w',
              type: 'boolean',
              describe: 'When this ends a recording, wait for its transcript and print it',
            })
            .option('live', {
              type: 'boolean',
              describe:
                'Print the text as it arrives, on one line, until the recording this starts or ends is transcribed (implies --wait)',
            })
        : yargs,
    handler: async (args) => {
      const { runControl } = await import('./control.impl.js');
      process.exitCode = await runControl(verb, args);
    },
  };
}

export const toggleCommand = controlCommand(
  'toggle',
  'Start a recording, or finish the current one',
  true,
);
export const startCommand = controlCommand(
  'start',
  'Start a recording (push-to-talk: bind to key press)',
  false,
);
export const finishCommand = controlCommand(
  'finish',
  'Finish the recording and transcribe it (bind to key release)',
  true,
);
export const cancelCommand = controlCommand('cancel', 'Discard the current recording', false);
