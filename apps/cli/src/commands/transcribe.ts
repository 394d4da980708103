import type { CommandModule } from 'yargs';

export interface TranscribeArgs {
  file: string;
  model?: string;
  language?: string;
  prompt?: string;
}

export const transcribeCommand: CommandModule<object, TranscribeArgs> = {
  command: 'transcribe <file>',
  describe: 'Transcribe an audio file (mp3, wav, ogg, flac, m4a, webm) and print the text',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'The audio file' })
      .option('model', {
        type: 'string',
        describe: 'Model (default: gpt-transcribe or your setting)',
      })
      .option('language', { type: 'string', describe: 'ISO-639-1 language of the speech' })
      .option('prompt', { type: 'string', describe: 'Vocabulary hint' }),
  handler: async (args) => {
    const { runTranscribe } = await import('./transcribe.impl.js');
    process.exitCode = await runTranscribe(args);
  },
};
