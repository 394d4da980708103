// Where transcripts go: one row per value of `outputs`. Loads only the output library, so a
// command that pastes (`whis last --paste`) starts as fast as the library alone.
import type { Settings } from '@whis/config';
import { hasDisplay, type Output, type OutputName } from '@whis/contracts';
import {
  createClipboardOutput,
  createCommandOutput,
  createFileOutput,
  createPasteOutput,
  createStdoutOutput,
  createTypeOutput,
  describeInsertion,
  insertOptionsFrom,
} from '@whis/output';
import type { PartContext } from './context.js';

/** What an output needs of the machine; the checks and `status` problems follow from it. */
export interface OutputNeeds {
  /** A graphical session (DISPLAY or WAYLAND_DISPLAY). */
  display?: boolean;
  /** A clipboard tool (xclip, wl-copy, …). */
  clipboard?: boolean;
  /** A tool that types into the focused window (xdotool, wtype, …). */
  keyboard?: boolean;
}

/** An output that acts on the focused window; `settled` resolves once the clipboard is given back. */
export type InsertingOutput = Output & { settled(): Promise<void> };

export interface OutputRow {
  /** What it does, for `whis config`. */
  summary: string;
  needs: OutputNeeds;
  create(context: PartContext): Output;
  /** Why it cannot work with these settings (a setting it needs is missing), or undefined. */
  misconfigured?(settings: Settings): string | undefined;
}

const insertion = (context: PartContext) => {
  const log = context.logger.child({ component: 'output' });
  return insertOptionsFrom(context.settings, (message, details) =>
    log.info(details ?? {}, message),
  );
};

/** Where transcripts go: the values of `outputs`. */
export const OUTPUTS = {
  clipboard: {
    summary: 'copied to the clipboard',
    needs: { display: true, clipboard: true },
    create: () => createClipboardOutput(),
  },
  paste: {
    summary: 'pasted into the focused window, then the clipboard you had is given back',
    needs: { display: true, clipboard: true, keyboard: true },
    create: (context: PartContext): InsertingOutput => createPasteOutput(insertion(context)),
  },
  type: {
    summary: 'typed into the focused window',
    needs: { display: true, keyboard: true },
    create: (context: PartContext): InsertingOutput => createTypeOutput(insertion(context)),
  },
  stdout: {
    summary: "printed on the service's standard output",
    needs: {},
    create: () => createStdoutOutput(),
  },
  file: {
    summary: 'appended to a file (outputFile)',
    needs: {},
    create: ({ settings, defaultTranscriptFile }) =>
      createFileOutput(settings.outputFile ?? defaultTranscriptFile),
  },
  command: {
    summary: 'given to a command of yours on its stdin (outputCommand)',
    needs: {},
    create: ({ settings, env }) => createCommandOutput(settings.outputCommand ?? '', { env }),
    misconfigured: (settings) =>
      settings.outputCommand
        ? undefined
        : 'The command output has no command: `whis config set outputCommand "tee -a ~/notes.md"`.',
  },
} satisfies Record<OutputName, OutputRow>;

// the names are `@whis/contracts`' list (the settings check them there); the rows above are typed
// against it, so a name without its row, or a row without its name, does not compile
export type { OutputName };

/** Whether `name` is a row of the outputs catalogue. */
export const isOutputName = (name: string): name is OutputName => Object.hasOwn(OUTPUTS, name);

/** What the outputs named in the settings need, together. */
export function outputNeeds(names: readonly string[]): Required<OutputNeeds> {
  const rows = names.filter(isOutputName).map((name) => OUTPUTS[name].needs as OutputNeeds);
  return {
    display: rows.some((r) => r.display === true),
    clipboard: rows.some((r) => r.clipboard === true),
    keyboard: rows.some((r) => r.keyboard === true),
  };
}

/** The outputs in force, in words, for `whis status`: "clipboard, paste with xdotool (X11 session)". */
export function describeOutputs(settings: Settings): string {
  const names = settings.outputs ?? ['clipboard'];
  if (!outputNeeds(names).keyboard) return names.join(', ');
  const how = describeInsertion(insertOptionsFrom(settings));
  const tool = how.tool ? `with ${how.tool} (${how.why})` : `(${how.why})`;
  return names
    .map((name) =>
      isOutputName(name) && (OUTPUTS[name].needs as OutputNeeds).keyboard
        ? `${name} ${tool}`
        : name,
    )
    .join(', ');
}

/** What the outputs cannot do here, for `whis status` problems (the display is said apart). */
export function outputProblems(settings: Settings): string[] {
  const names = settings.outputs ?? ['clipboard'];
  const problems = names.flatMap((name) => {
    const row: OutputRow | undefined = isOutputName(name) ? OUTPUTS[name] : undefined;
    const problem = row ? row.misconfigured?.(settings) : `Unknown output "${name}".`;
    return problem ? [problem] : [];
  });
  if (outputNeeds(names).keyboard) {
    const how = describeInsertion(insertOptionsFrom(settings));
    if (!how.tool) problems.push(`Cannot type or paste into windows: ${how.why}.`);
    else if (how.desktop?.problem) problems.push(how.desktop.problem);
  }
  return problems;
}

/** The display problem every graphical output shares, for `whis status`. */
export function displayProblem(settings: Settings, env: NodeJS.ProcessEnv): string | undefined {
  if (!outputNeeds(settings.outputs ?? ['clipboard']).display) return undefined;
  if (hasDisplay(env) || process.platform !== 'linux') return undefined;
  return 'No DISPLAY or WAYLAND_DISPLAY: the clipboard cannot be reached; start whis from your graphical session.';
}
