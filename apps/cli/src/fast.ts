import type { ControlVerb } from './commands/control.js';
import { runControl } from './commands/control.impl.js';
import type { StatusArgs } from './commands/status.js';
import { runStatus } from './commands/status.impl.js';
import { reportError } from './errors.js';

// The commands a compositor binding (`whis start`, `whis finish`, `whis toggle`) or a status bar
// (`whis status --format waybar`) runs on every key press or every few seconds. This entry is
// bundled on its own (dist/whis-fast.cjs) with only @whis/ipc's client: no yargs, no command table.
// It takes the plain forms of those commands and nothing else; any other argv (help, --wait,
// --follow, a typo) goes to the full command line, which parses, validates and answers it as always.

const CONTROL_VERBS: ReadonlySet<string> = new Set(['toggle', 'start', 'finish', 'cancel', 'edit']);
// `whis start --edit` on an edit key's press (push-to-talk), `whis toggle --edit`
const EDIT_FLAG_VERBS: ReadonlySet<string> = new Set(['toggle', 'start']);

/**
 * The verbs this entry may take (in their plain forms): the one list. The bundle step writes it to
 * dist/fast-verbs.json, where the launcher (bin/whis.cjs) reads it before it loads this entry.
 */
export const FAST_VERBS: readonly string[] = [...CONTROL_VERBS, 'status'];
const FORMATS: ReadonlySet<string> = new Set(['text', 'json', 'waybar']);

// `--json`, `--format X` and `--format=X`, each at most once (yargs turns a repeated option into an
// array, which the full command line reports).
function statusArgs(flags: readonly string[]): StatusArgs | undefined {
  const args: StatusArgs = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--json' && args.json === undefined) args.json = true;
    else if (args.format !== undefined) return undefined;
    else if (flag === '--format' && FORMATS.has(flags[i + 1] ?? ''))
      args.format = flags[++i] as StatusArgs['format'];
    else if (flag.startsWith('--format=') && FORMATS.has(flag.slice('--format='.length)))
      args.format = flag.slice('--format='.length) as StatusArgs['format'];
    else return undefined;
  }
  return args;
}

/**
 * The command `argv` (without node and the script) names when it is one the fast entry takes, or
 * undefined: the full command line handles it.
 */
export function fastCommand(argv: readonly string[]): (() => Promise<number>) | undefined {
  const [verb, ...rest] = argv;
  if (verb === undefined) return undefined;
  if (CONTROL_VERBS.has(verb)) {
    if (rest.length === 0) return () => runControl(verb as ControlVerb, {});
    if (rest.length === 1 && rest[0] === '--edit' && EDIT_FLAG_VERBS.has(verb))
      return () => runControl(verb as ControlVerb, { edit: true });
    return undefined;
  }
  if (verb !== 'status') return undefined;
  const args = statusArgs(rest);
  return args && (() => runStatus(args));
}

/**
 * Runs `argv` when the fast entry takes it, setting `process.exitCode` as the full command line
 * does, and returns true; returns false (having done nothing) otherwise.
 */
export function runFast(argv: readonly string[]): boolean {
  const command = fastCommand(argv);
  if (!command) return false;
  command().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportError(err, false);
    },
  );
  return true;
}
