import { createRequire } from 'node:module';
import {
  ENGINE_NAMES,
  NOTIFY_LEVELS,
  PROVIDER_NAMES,
  type EngineName,
  type ProviderName,
} from '@whis/contracts';
import type { Argv, CommandModule } from 'yargs';

// The outputs setup offers are the rows that say how (`offer`). The builder runs only for `whis
// setup` (and its --help), which loads the outputs' catalogue anyway; synchronously, as a yargs
// builder is.
const offeredOutputs = (): string[] =>
  (
    createRequire(import.meta.url)(
      '@whis/service/outputs',
    ) as typeof import('@whis/service/outputs')
  ).offeredOutputs();

export interface SetupArgs {
  /** Where speech becomes text: `local` (this computer) or an API (`file`, `realtime`). */
  mode?: EngineName;
  /** The offline model (`whis model list`); with `mirror`, where it is downloaded from. */
  localModel?: string;
  mirror?: string;
  /** Whose API: `openai` (or a compatible endpoint), `deepgram`, `elevenlabs`. */
  provider?: ProviderName;
  apiKey?: string;
  baseUrl?: string;
  model?: string;
  device?: string;
  output?: string;
  hotkey?: string;
  notify?: string;
  sounds?: string;
  pauseMedia?: boolean;
  test: boolean;
  testSeconds: number;
  yes?: boolean;
  bindings?: 'write' | 'print' | 'skip' | 'remove';
}

export const setupCommand: CommandModule<object, SetupArgs> = {
  command: 'setup',
  describe:
    'First run: where speech becomes text (this computer, or an API key, endpoint and model), microphone, output, hotkey, feedback, a test dictation',
  builder: (yargs: Argv) =>
    yargs
      .option('mode', {
        type: 'string',
        choices: ENGINE_NAMES,
        describe:
          'Where speech becomes text: local (on this computer, offline), or file / realtime (an API)',
      })
      .option('local-model', {
        type: 'string',
        describe: 'The offline model (`whis model list`; default the catalogue’s)',
      })
      .option('mirror', { type: 'string', describe: 'Download the offline model from this host' })
      .option('provider', {
        type: 'string',
        choices: PROVIDER_NAMES,
        describe: 'Whose API: openai (default, or a compatible endpoint), deepgram, elevenlabs',
      })
      .option('api-key', {
        type: 'string',
        describe: "The provider's API key (stored readable only by you)",
      })
      .option('base-url', {
        type: 'string',
        describe: 'OpenAI-compatible endpoint (default: OpenAI)',
      })
      .option('model', { type: 'string', describe: 'Model (default: gpt-transcribe)' })
      .option('device', { type: 'string', describe: 'Microphone name or index (`whis devices`)' })
      .option('output', {
        type: 'string',
        // the outputs setup offers (the others: `whis config set outputs`)
        choices: offeredOutputs(),
        describe: 'Where the text goes',
      })
      .option('hotkey', { type: 'string', describe: 'Global hotkey (default ctrl+shift+r)' })
      .option('notify', {
        type: 'string',
        choices: NOTIFY_LEVELS,
        describe: 'Desktop notifications: failures (errors), also each transcript (all), or off',
      })
      .option('sounds', {
        type: 'string',
        describe: 'Sounds to play: start,stop,error (any of them), or none',
        // none is no sound at all: the empty list
        coerce: (value: string) => (value === 'none' ? '' : value),
      })
      .option('pause-media', {
        type: 'boolean',
        describe: 'Pause playing media (MPRIS) while dictating',
      })
      .option('test', { type: 'boolean', default: true, describe: 'End with a test dictation' })
      .option('test-seconds', {
        type: 'number',
        default: 5,
        describe: 'Without a terminal, how long the test dictation records',
      })
      .option('bindings', {
        type: 'string',
        choices: ['write', 'print', 'skip', 'remove'],
        describe:
          'On sway, Hyprland, river and COSMIC: write the hotkey bindings into the compositor configuration, print them, or skip; on GNOME 47 and older the same for custom shortcuts that run `whis toggle` and (the edit key) `whis edit`, and remove takes them away (default: ask; print without a terminal)',
      })
      .option('yes', {
        alias: 'y',
        type: 'boolean',
        describe: 'Ask nothing: flags, else what is already set, else the defaults',
      }) as unknown as Argv<SetupArgs>,
  handler: async (args) => {
    const { runSetup } = await import('./setup.impl.js');
    process.exitCode = await runSetup(args);
  },
};
