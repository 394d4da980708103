import type { CommandModule } from 'yargs';

/** `edit`: `toggle` for an edit by voice (the same as `toggle --edit`). */
export type ControlVerb = 'toggle' | 'start' | 'finish' | 'cancel' | 'edit';

export interface ControlArgs {
  wait?: boolean;
  live?: boolean;
  /** A recording this starts is an edit of the selection by voice. */
  edit?: boolean;
}

function controlCommand(
  verb: ControlVerb,
  describe: string,
  canWait: boolean,
  canEdit = false,
): CommandModule<object, ControlArgs> {
  return {
    command: verb,
    describe,
    builder: (yargs) => {
      const waiting = canWait
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
        : yargs;
      return canEdit
        ? waiting.option('edit', {
            type: 'boolean',
            describe:
              'The recording this starts is an instruction that edits the selected text (see `whis edit`)',
          })
        : waiting;
    },
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
  true,
);
export const startCommand = controlCommand(
  'start',
  'Start a recording (push-to-talk: bind to key press)',
  false,
  true,
);
export const editCommand = controlCommand(
  'edit',
  'Edit the selected text by voice: say what to change, then run it again (nothing selected: say what to write)',
  true,
);
export const finishCommand = controlCommand(
  'finish',
  'Finish the recording and transcribe it (bind to key release)',
  true,
);
export const cancelCommand = controlCommand('cancel', 'Discard the current recording', false);
