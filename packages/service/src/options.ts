import { parseArgs } from 'node:util';
import { formatHotkey, parseHotkey } from '@whis/hotkey/spec';
import { DEFAULT_TRIGGER, isTriggerName, TRIGGERS, type TriggerName } from './catalogue/index.js';

export interface DaemonOptions {
  /** Hotkey spec, or null for socket-only control (`--no-hotkey`). */
  hotkey: string | null;
  pushToTalk: boolean;
  /**
   * Where the hotkey comes from (`whis listen --hotkey-backend`, the hotkeyBackend setting); with a
   * trigger row that listens for no key (`none`), `hotkey` is null.
   */
  hotkeyBackend: TriggerName;
  /** Print `#1 recording…` progress lines on stdout (set by a foreground `whis listen`). */
  progress: boolean;
  logLevel: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

// node:util parseArgs instead of yargs: the daemon takes four flags from `whis listen`, which
// already parsed and validated the user's command line; this keeps the daemon's start-up small.
export function parseDaemonArgs(
  argv: string[],
  defaults: { hotkey?: string; pushToTalk?: boolean; hotkeyBackend?: string },
): DaemonOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        hotkey: { type: 'string', short: 'k' },
        'no-hotkey': { type: 'boolean' },
        'hotkey-backend': { type: 'string' },
        'push-to-talk': { type: 'boolean' },
        progress: { type: 'boolean' },
        'log-level': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(
      `whisd: ${(err as Error).message}. Usage: whisd [-k HOTKEY | --no-hotkey] [--hotkey-backend ${Object.keys(TRIGGERS).join('|')}] [--push-to-talk] [--progress] [--log-level LEVEL]`,
      { cause: err },
    );
  }
  const backend = values['hotkey-backend'] ?? defaults.hotkeyBackend ?? DEFAULT_TRIGGER;
  if (!isTriggerName(backend)) {
    throw new UsageError(
      `Unknown hotkey backend "${backend}": use ${Object.keys(TRIGGERS).join(', ')}${values['hotkey-backend'] ? '' : ' (the hotkeyBackend setting: `whis config set hotkeyBackend …`)'}.`,
    );
  }
  let hotkey: string | null = null;
  // a row that listens for no key: the desktop binds `whis toggle` (or start/finish)
  if (!values['no-hotkey'] && TRIGGERS[backend].listens) {
    const spec = values.hotkey ?? defaults.hotkey ?? 'ctrl+shift+r';
    try {
      // the canonical form from here on: in the log, in `status`, to the listener
      hotkey = formatHotkey(parseHotkey(spec));
    } catch (err) {
      throw new UsageError(
        `${(err as Error).message}${values.hotkey ? '' : ' (the hotkey setting: `whis config set hotkey …`)'}`,
        { cause: err },
      );
    }
  }
  return {
    hotkey,
    pushToTalk: values['push-to-talk'] ?? defaults.pushToTalk ?? false,
    hotkeyBackend: backend,
    progress: values.progress ?? false,
    logLevel: values['log-level'] ?? process.env.WHIS_LOG_LEVEL ?? 'info',
  };
}
