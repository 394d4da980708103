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
import { probeClipboard, probeSession, probeTyping } from './internal/output-probes.js';
import { required, type Check, type ProbeContext, type Row } from './row.js';

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

export interface OutputRow extends Row {
  needs: OutputNeeds;
  /** How `whis setup` offers it when it asks where the text goes; undefined: not offered there. */
  offer?: string;
  create(context: PartContext): Output;
  /**
   * With these settings, the output for each segment as it comes (it then takes no part in the
   * whole transcript's delivery), or undefined: it takes the whole transcript.
   */
  segments?(context: PartContext): Output | undefined;
}

const insertion = (context: PartContext) => {
  const log = context.logger.child({ component: 'output' });
  return insertOptionsFrom(context.settings, (message, details) =>
    log.info(details ?? {}, message),
  );
};

/** How the outputs that type or paste would do it, in words: "with xdotool (X11 session)". */
const typingTool = (settings: Settings) => {
  const how = describeInsertion(insertOptionsFrom(settings));
  return how.tool ? `with ${how.tool} (${how.why})` : `(${how.why})`;
};

// What a row's needs make of the checks (`whis doctor`) and of the problems (`status`): each need
// is checked on its own, so two outputs that share one (clipboard and paste) share its check.
const NEEDS: Record<
  keyof OutputNeeds,
  {
    problems(settings: Settings, env: NodeJS.ProcessEnv): string[];
    probe(context: ProbeContext): Promise<Check>;
  }
> = {
  display: {
    problems: (_settings, env) =>
      hasDisplay(env) || process.platform !== 'linux'
        ? []
        : [
            'No DISPLAY or WAYLAND_DISPLAY: the clipboard cannot be reached; start whis from your graphical session.',
          ],
    probe: async ({ env }) => probeSession(env),
  },
  clipboard: {
    problems: () => [],
    probe: async ({ env }) => probeClipboard(env),
  },
  keyboard: {
    problems(settings) {
      const how = describeInsertion(insertOptionsFrom(settings));
      if (!how.tool) return [`Cannot type or paste into windows: ${how.why}.`];
      return how.desktop?.problem ? [how.desktop.problem] : [];
    },
    probe: ({ settings, env }) => probeTyping(settings, env),
  },
};

const needsOf = (needs: OutputNeeds) =>
  (Object.keys(NEEDS) as Array<keyof OutputNeeds>).filter((need) => needs[need] === true);

// generic in `create`, so a caller keeps what a row makes (the clipboard output, made from nothing)
function outputRow<Create extends (context: PartContext) => Output>(
  name: OutputName,
  row: {
    summary: string;
    offer?: string;
    needs: OutputNeeds;
    create: Create;
    segments?(context: PartContext): Output | undefined;
    /** Why it cannot work with these settings (a setting it needs is missing), or undefined. */
    misconfigured?(settings: Settings): string | undefined;
  },
): Omit<OutputRow, 'create'> & { create: Create } {
  const { misconfigured, ...made } = row;
  return {
    ...made,
    describe: (settings) => (row.needs.keyboard ? `${name} ${typingTool(settings)}` : name),
    problems(settings, env) {
      const problem = misconfigured?.(settings);
      return [
        ...(problem ? [problem] : []),
        ...needsOf(row.needs).flatMap((need) => NEEDS[need].problems(settings, env)),
      ];
    },
    async probe(context) {
      const problem = misconfigured?.(context.settings);
      const checks = await Promise.all(needsOf(row.needs).map((n) => NEEDS[n].probe(context)));
      return problem
        ? [required({ name: `Output ${name}`, ok: false, detail: problem }), ...checks]
        : checks;
    },
  };
}

/** Where transcripts go: the values of `outputs`. */
export const OUTPUTS = {
  clipboard: outputRow('clipboard', {
    summary: 'copied to the clipboard',
    offer: 'The clipboard (you paste it)',
    needs: { display: true, clipboard: true },
    create: () => createClipboardOutput(),
  }),
  paste: outputRow('paste', {
    summary: 'pasted into the focused window, then the clipboard you had is given back',
    offer: 'Pasted into the window you are in',
    needs: { display: true, clipboard: true, keyboard: true },
    create: (context: PartContext): InsertingOutput => createPasteOutput(insertion(context)),
  }),
  type: outputRow('type', {
    summary: 'typed into the focused window',
    offer: 'Typed into the window you are in',
    needs: { display: true, keyboard: true },
    create: (context: PartContext): InsertingOutput => createTypeOutput(insertion(context)),
    // typeSegments: each segment typed as it comes, never pressing Return
    segments: (context) =>
      context.settings.typeSegments === true
        ? createTypeOutput(
            insertion({ ...context, settings: { ...context.settings, submit: false } }),
          )
        : undefined,
  }),
  stdout: outputRow('stdout', {
    summary: "printed on the service's standard output",
    needs: {},
    create: () => createStdoutOutput(),
  }),
  file: outputRow('file', {
    summary: 'appended to a file (outputFile)',
    needs: {},
    create: ({ settings, defaultTranscriptFile }) =>
      createFileOutput(settings.outputFile ?? defaultTranscriptFile),
  }),
  command: outputRow('command', {
    summary: 'given to a command of yours on its stdin (outputCommand)',
    needs: {},
    create: ({ settings, env }) => createCommandOutput(settings.outputCommand ?? '', { env }),
    misconfigured: (settings) =>
      settings.outputCommand
        ? undefined
        : 'The command output has no command: `whis config set outputCommand "tee -a ~/notes.md"`.',
  }),
} satisfies Record<OutputName, OutputRow>;

// the names are `@whis/contracts`' list (the settings check them there); the rows above are typed
// against it, so a name without its row, or a row without its name, does not compile
export type { OutputName };

/** Whether `name` is a row of the outputs catalogue. */
export const isOutputName = (name: string): name is OutputName => Object.hasOwn(OUTPUTS, name);

/** The output rows the settings name (unknown names are the composition's error). */
export const outputsFor = (settings: Settings): OutputRow[] =>
  outputNamesFor(settings)
    .filter(isOutputName)
    .map((name) => OUTPUTS[name]);

/** The outputs when the `outputs` setting names none. */
export const DEFAULT_OUTPUTS: readonly OutputName[] = ['clipboard'];

/** The names the settings give as `outputs` (unchecked), or the default. */
export const outputNamesFor = (settings: Settings): readonly string[] =>
  settings.outputs ?? DEFAULT_OUTPUTS;

/** The rows `whis setup` offers when it asks where the text goes, by name. */
export const offeredOutputs = (): OutputName[] =>
  (Object.keys(OUTPUTS) as OutputName[]).filter((name) => {
    const row: OutputRow = OUTPUTS[name];
    return row.offer !== undefined;
  });

/** What the outputs named in the settings need, together. */
export function outputNeeds(names: readonly string[]): Required<OutputNeeds> {
  const rows = names.filter(isOutputName).map((name) => OUTPUTS[name].needs);
  return {
    display: rows.some((r) => r.display === true),
    clipboard: rows.some((r) => r.clipboard === true),
    keyboard: rows.some((r) => r.keyboard === true),
  };
}

/** The outputs in force, in words, for `whis status`: "clipboard, paste with xdotool (X11 session)". */
export function describeOutputs(settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  return outputNamesFor(settings)
    .map((name) => (isOutputName(name) ? OUTPUTS[name].describe(settings, env) : name))
    .join(', ');
}

/** What the outputs cannot do here, for `whis status` problems; a need two outputs share, once. */
export function outputProblems(settings: Settings, env: NodeJS.ProcessEnv): string[] {
  const problems = outputNamesFor(settings).flatMap((name) =>
    isOutputName(name) ? OUTPUTS[name].problems(settings, env) : [`Unknown output "${name}".`],
  );
  return [...new Set(problems)];
}
