// What every row of every table answers, whatever it makes: what it does (`whis config`), what it
// is with these settings (`whis status`), what is wrong with them (`status` problems) and whether it
// works on this machine (`whis doctor`, `whis setup`). The commands loop over the rows in force and
// never know a row by name, so a new part is its row and nothing else.
import type { Settings } from '@whis/config';

/** One verdict of `whis doctor`: `required` ones decide its exit code. */
export interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

/** What a running service says of its hotkey, for a probe that must not fight it for the key. */
export interface RunningService {
  pid: number;
  hotkey?: string | null;
  hotkeyBackend?: string;
  hotkeyActive?: boolean;
  hotkeyProblem?: string | null;
  /** Its edit key: the key, and why it does not work. */
  edit?: { hotkey: string | null; hotkeyProblem?: string };
}

/** What a probe is given: the settings as `whis listen` would read them, and the environment. */
export interface ProbeContext {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  /** The running service's status, when one answers (the doctor asks it; undefined: none). */
  service?: () => Promise<RunningService | undefined>;
}

/** The questions every row answers, besides making its part. */
export interface Row {
  /** What it does, in a line, for `whis config`. */
  summary: string;
  /** What it is with these settings, for `whis status`; undefined where it cannot say (no key). */
  describe(settings: Settings, env: NodeJS.ProcessEnv): string | undefined;
  /** What is wrong with these settings, for `whis status` problems; empty when nothing. */
  problems(settings: Settings, env: NodeJS.ProcessEnv): string[];
  /** Whether it works on this machine, tried for real where that is quick, for `whis doctor`. */
  probe(context: ProbeContext): Promise<Check[]>;
}

/** A check that is not required (a dictation works without it). */
export const optional = (check: Omit<Check, 'required'>): Check => ({ ...check, required: false });

/** A check a dictation cannot do without. */
export const required = (check: Omit<Check, 'required'>): Check => ({ ...check, required: true });
