import type { CommandModule } from 'yargs';

export const TRANSCRIPT_FORMATS = ['text', 'json', 'srt', 'vtt'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export interface TranscribeArgs {
  file: string;
  model?: string;
  language?: string;
  prompt?: string;
  format?: TranscriptFormat;
  json?: boolean;
  output?: string;
  jobs?: number;
  partLength?: string;
}

export const transcribeCommand: CommandModule<object, TranscribeArgs> = {
  command: 'transcribe <file>',
  describe:
    'Transcribe an audio or video file of any length (anything ffmpeg reads) and print the text',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'The audio file' })
      .option('model', {
        type: 'string',
        describe: 'Model (default: gpt-transcribe or your setting)',
      })
      .option('language', { type: 'string', describe: 'ISO-639-1 language of the speech' })
      .option('prompt', { type: 'string', describe: 'Vocabulary hint' })
      .option('format', {
        choices: TRANSCRIPT_FORMATS,
        describe: 'text, json (the parts with their times), or subtitles (srt, vtt)',
      })
      .option('json', { type: 'boolean', describe: 'Same as --format json' })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'Write to this file instead of stdout',
      })
      .option('jobs', {
        type: 'number',
        describe: 'Parts uploaded at once (default 3)',
      })
      .option('part-length', {
        type: 'string',
        describe:
          'Longest part sent at once, e.g. 10m or 90s (default 10m; 30s for srt and vtt); cut at pauses',
      }),
  handler: async (args) => {
    const { runTranscribe } = await import('./transcribe.impl.js');
    process.exitCode = await runTranscribe(args);
  },
};
