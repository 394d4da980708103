import {
  SETTING_KEYS,
  formatSettingValue,
  maskSettings,
  readSettings,
  resolvePaths,
  setSetting,
  unsetSetting,
  type SettingKey,
} from '@whis/config';
import { CliError, ExitCode } from '../errors.js';
import { loadPackage } from '../lazy.js';
import type { ConfigArgs } from './config.js';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const firstLine = (text: string) => {
  const [first, ...rest] = text.split('\n');
  return rest.length > 0 ? `${first} … (\`whis config get llmPrompt\` prints it all)` : first!;
};

/** The default of a setting whose default is long enough to be worth showing: the llm prompt. */
async function defaultOf(key: string): Promise<string | undefined> {
  if (key !== 'llmPrompt') return undefined;
  const { DEFAULT_LLM_PROMPT } =
    await loadPackage<typeof import('@whis/postprocess')>('@whis/postprocess');
  return DEFAULT_LLM_PROMPT;
}

export async function runConfig(args: ConfigArgs): Promise<number> {
  const file = resolvePaths().settingsFile;
  switch (args.action) {
    case 'set': {
      let warning: string | undefined;
      if (args.key === 'hotkey') {
        const { formatHotkey, parseHotkey } =
          await loadPackage<typeof import('@whis/hotkey/spec')>('@whis/hotkey/spec');
        try {
          args = { ...args, value: formatHotkey(parseHotkey(args.value!)) };
        } catch (err) {
          throw new CliError(`Not saved: ${(err as Error).message}`, { exitCode: ExitCode.Usage });
        }
      }
      if (args.key === 'model') {
        const { checkModel } =
          await loadPackage<typeof import('@whis/transcribe/models')>('@whis/transcribe/models');
        const verdict = checkModel(args.value!);
        if (verdict.error) {
          throw new CliError(`Not saved: ${verdict.error}`, { exitCode: ExitCode.Usage });
        }
        warning = verdict.warning;
      }
      await setSetting(args.key!, args.value!, file);
      print(`Saved ${args.key} in ${file}.`);
      if (warning) process.stderr.write(`whis: ${warning}\n`);
      return ExitCode.Ok;
    }
    case 'unset':
      await unsetSetting(args.key!, file);
      print(`Removed ${args.key} from ${file}.`);
      return ExitCode.Ok;
    case 'get': {
      const shown = maskSettings(await readSettings(file));
      if (!Object.hasOwn(SETTING_KEYS, args.key!)) {
        throw new CliError(`Unknown setting "${args.key}".`, {
          exitCode: ExitCode.Usage,
          hint: `Valid settings: ${Object.keys(SETTING_KEYS).join(', ')}.`,
        });
      }
      const value = shown[args.key!] ?? (await defaultOf(args.key!));
      if (value === undefined) return ExitCode.Failure;
      print(formatSettingValue(args.key!, value));
      return ExitCode.Ok;
    }
  }
  if (args.apiKey !== undefined) {
    // the key of the provider in force: each keeps its own, so switching back needs no new key
    const { PROVIDERS, providerFor } =
      await loadPackage<typeof import('@whis/service/providers')>('@whis/service/providers');
    const provider = providerFor(await readSettings(file), process.env);
    await setSetting(PROVIDERS[provider].keySetting, args.apiKey, file);
    print(`Saved the API key of ${provider} in ${file} (readable only by you).`);
    return ExitCode.Ok;
  }
  if (args.path) {
    print(file);
    return ExitCode.Ok;
  }
  const shown = maskSettings(await readSettings(file));
  if (args.json) {
    print(JSON.stringify(shown));
    return ExitCode.Ok;
  }
  if (!args.show) {
    print(`Settings file: ${file}\n`);
  }
  for (const key of Object.keys(SETTING_KEYS) as SettingKey[]) {
    const value = shown[key];
    const fallback = value === undefined ? await defaultOf(key) : undefined;
    const text =
      value !== undefined
        ? formatSettingValue(key, value)
        : fallback !== undefined
          ? `(default) ${firstLine(fallback)}`
          : '(unset)';
    print(`${key.padEnd(11)} ${text}${args.show ? '' : `    # ${SETTING_KEYS[key].description}`}`);
  }
  if (!args.show) {
    const { describeInsertion, insertOptionsFrom } =
      await loadPackage<typeof import('@whis/output')>('@whis/output');
    const settings = await readSettings(file);
    const insertion = describeInsertion(insertOptionsFrom(settings));
    print(
      `\nTyping and pasting into windows (outputs type, paste): ${insertion.tool ? `${insertion.tool} (${insertion.why})` : insertion.why}`,
    );
  }
  const { PROVIDERS, providerFor } =
    await loadPackage<typeof import('@whis/service/providers')>('@whis/service/providers');
  const provider = PROVIDERS[providerFor(await readSettings(file), process.env)];
  if (!process.env[provider.keyVariable] && shown[provider.keySetting] === undefined) {
    print(
      `\nNo API key: set one with \`whis config --api-key …\` or ${provider.keyVariable} (make one at ${provider.keyPage}).`,
    );
  }
  return ExitCode.Ok;
}
