#!/usr/bin/env node
import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { configCommand } from './commands/config.js';
import { devicesCommand } from './commands/devices.js';
import { doctorCommand } from './commands/doctor.js';
import { listenCommand } from './commands/listen.js';
import { recordCommand } from './commands/record.js';
import { transcribeCommand } from './commands/transcribe.js';
import {
  cancelCommand,
  editCommand,
  finishCommand,
  startCommand,
  toggleCommand,
} from './commands/control.js';
import { lastCommand } from './commands/last.js';
import { logsCommand } from './commands/logs.js';
import { modelCommand } from './commands/model.js';
import { retryCommand } from './commands/retry.js';
import { serviceCommand } from './commands/service.js';
import { setupCommand } from './commands/setup.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { CliError, ExitCode, reportError } from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Runs the whis command line; resolves with the exit code instead of exiting. */
export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const parser = yargs(argv)
    .scriptName('whis')
    .usage('whis — voice to text for the terminal\n\nUsage: whis [command] [options]')
    .command(recordCommand)
    .command(listenCommand)
    .command(statusCommand)
    .command(stopCommand)
    .command(toggleCommand)
    .command(startCommand)
    .command(editCommand)
    .command(finishCommand)
    .command(cancelCommand)
    .command(lastCommand)
    .command(retryCommand)
    .command(transcribeCommand)
    .command(devicesCommand)
    .command(doctorCommand)
    .command(setupCommand)
    .command(configCommand)
    .command(modelCommand)
    .command(logsCommand)
    .command(serviceCommand)
    .option('verbose', {
      alias: 'v',
      type: 'boolean',
      global: true,
      describe: 'Print stack traces on errors',
    })
    .completion(
      'completion',
      'Print a shell completion script (bash/zsh): whis completion >> ~/.bashrc',
    )
    .strict()
    .help()
    .alias('h', 'help')
    .version(version)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, err) => {
      if (err) throw err;
      throw new CliError(message, {
        exitCode: ExitCode.Usage,
        hint: 'Run `whis --help` for usage.',
      });
    });
  try {
    await parser.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (err) {
    return reportError(err, verbose);
  }
}

void main().then((code) => {
  process.exitCode = code;
});
