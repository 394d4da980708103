import { TRIGGER_NAMES, type TriggerName } from '@whis/contracts';
import type { CommandModule } from 'yargs';

export interface ListenArgs {
  hotkey?: string;
  pushToTalk?: boolean;
  noHotkey?: boolean;
  hotkeyBackend?: TriggerName;
  detach?: boolean;
}

export const listenCommand: CommandModule<object, ListenArgs> = {
  command: 'listen',
  describe: 'Run the service: the hotkey records, the transcript goes to the clipboard',
  builder: (yargs) =>
    yargs
      .option('hotkey', {
        alias: 'k',
        type: 'string',
        describe: 'Global hotkey (default: ctrl+shift+r, or `whis config set hotkey …`)',
      })
      .option('push-to-talk', {
        type: 'boolean',
        describe: 'Hold the hotkey to record, release to transcribe',
      })
      .option('no-hotkey', {
        type: 'boolean',
        describe: 'No global hotkey: control it with `whis toggle` (Wayland)',
      })
      .option('hotkey-backend', {
        type: 'string',
        choices: TRIGGER_NAMES,
        describe:
          "Where the hotkey comes from: auto (the desktop's GlobalShortcuts portal on Wayland, the X display on X11), x11, portal, none",
      })
      .option('detach', {
        alias: 'd',
        type: 'boolean',
        describe: 'Run in the background; logs go to `whis logs`',
      })
      .parserConfiguration({ 'boolean-negation': false }),
  handler: async (args) => {
    const { runListen } = await import('./listen.impl.js');
    process.exitCode = await runListen(args);
  },
};
