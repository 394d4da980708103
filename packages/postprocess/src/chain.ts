import type { Logger, ProcessedText, TextProcessor, TextProcessOptions } from '@whis/contracts';
import { FINAL_PUNCTUATIONS, STEP_NAMES, silentLogger } from '@whis/contracts';
import {
  STEPS,
  isStepName,
  type FinalPunctuation,
  type PostProcessSettings,
  type Profile,
  type StepCheck,
  type StepName,
} from './catalogue.js';
import { PostProcessError } from './errors.js';

export interface TextProcessorOptions {
  settings: PostProcessSettings;
  /** For the API key and endpoint (`OPENAI_API_KEY`, `OPENAI_BASE_URL`) and the command. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The focused window's class, asked only when a profile could apply and the caller gave none. */
  windowClass?: () => Promise<string | undefined>;
}

/** What applies to a text: the steps in order, and its final punctuation. */
export interface ChainPlan {
  steps: StepName[];
  finalPunctuation: FinalPunctuation;
  /** The profile's key, when one matched the window class. */
  profile?: string;
}

function stepsOf(names: readonly string[] | undefined, where: string): StepName[] {
  return (names ?? []).map((name) => {
    const step = name.trim();
    if (!isStepName(step))
      throw new PostProcessError(
        'unknown-step',
        `${where}: "${name}" is not a step. Steps: ${STEP_NAMES.join(', ')}.`,
      );
    return step;
  });
}

function finalOf(value: string | undefined, where: string): FinalPunctuation {
  if (value === undefined) return 'keep';
  if (!(FINAL_PUNCTUATIONS as readonly string[]).includes(value))
    throw new PostProcessError(
      'invalid-settings',
      `${where}: finalPunctuation takes ${FINAL_PUNCTUATIONS.join(', ')}, not "${value}".`,
    );
  return value as FinalPunctuation;
}

/** The profile for a window class: the key that names it (case-insensitive; `a,b` names both). */
export function profileFor(
  profiles: PostProcessSettings['profiles'],
  windowClass: string | undefined,
): [string, Profile] | undefined {
  if (!profiles || !windowClass) return undefined;
  const cls = windowClass.toLowerCase();
  return Object.entries(profiles).find(([key]) =>
    key
      .split(',')
      .map((k) => k.trim().toLowerCase())
      .includes(cls),
  );
}

/** Whether the chain or any profile names a step (e.g. `llm`, to prepare for it). */
export function chainUses(settings: PostProcessSettings, step: StepName): boolean {
  return [
    ...(settings.postProcess ?? []),
    ...Object.values(settings.profiles ?? {}).flatMap((profile) => profile.postProcess ?? []),
  ].includes(step);
}

/**
 * Loads ahead, in the background, what the first run of each step in the chain (or a profile's)
 * would wait for: call it when the service starts. Never rejects.
 */
export async function prepareChain(settings: PostProcessSettings): Promise<void> {
  const names = STEP_NAMES.filter((name) => chainUses(settings, name));
  await Promise.all(names.map((name) => STEPS[name].prepare?.().catch(() => undefined)));
}

/** The steps and final punctuation for a window (the profile of its class over the settings). */
export function planChain(settings: PostProcessSettings, windowClass?: string): ChainPlan {
  const match = profileFor(settings.profiles, windowClass);
  const base: ChainPlan = {
    steps: stepsOf(settings.postProcess, 'postProcess'),
    finalPunctuation: finalOf(settings.finalPunctuation, 'finalPunctuation'),
  };
  if (!match) return base;
  const [key, profile] = match;
  return {
    steps:
      profile.postProcess !== undefined
        ? stepsOf(profile.postProcess, `profiles.${key}.postProcess`)
        : base.steps,
    finalPunctuation:
      profile.finalPunctuation !== undefined
        ? finalOf(profile.finalPunctuation, `profiles.${key}.finalPunctuation`)
        : base.finalPunctuation,
    profile: key,
  };
}

const ENDS_SENTENCE = /[.!?…:;]["'”’)\]]*$/u;
const PAUSE_AT_END = /[.,;:]+$/u;

/** Adds a period where the text does not end a sentence, or removes a final period (, ; :). */
export function applyFinalPunctuation(text: string, final: FinalPunctuation): string {
  if (final === 'keep') return text;
  const body = text.replace(/\s+$/u, '');
  const tail = text.slice(body.length);
  if (body === '') return text;
  if (final === 'add') return ENDS_SENTENCE.test(body) ? text : `${body}.${tail}`;
  // an ellipsis is left alone: it is not a final period
  return /\.\.\.$|…$/u.test(body) ? text : `${body.replace(PAUSE_AT_END, '')}${tail}`;
}

/**
 * The post-processing chain: the steps `postProcess` names, in that order (or a profile's for the
 * focused window), then the final punctuation. A step that fails, times out or is rejected leaves
 * the text as it was and adds a note; the chain never rejects.
 */
export function createTextProcessor(options: TextProcessorOptions): TextProcessor {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const { settings } = options;
  const hasProfiles = Object.keys(settings.profiles ?? {}).length > 0;
  return {
    async process(text: string, processOptions: TextProcessOptions = {}): Promise<ProcessedText> {
      const notes: string[] = [];
      const applied: string[] = [];
      let windowClass = processOptions.windowClass;
      if (windowClass === undefined && hasProfiles && options.windowClass) {
        windowClass = await options.windowClass().catch((err: Error) => {
          notes.push(`the focused window is unknown (${err.message}); no profile applies`);
          return undefined;
        });
      }
      let plan: ChainPlan;
      try {
        plan = planChain(settings, windowClass);
      } catch (err) {
        notes.push((err as Error).message);
        logger.warn({ err }, 'post-processing settings are wrong; the text is delivered as heard');
        return { text, applied, notes };
      }
      let current = text;
      if (current.trim() === '') return { text, applied, notes };
      for (const name of plan.steps) {
        try {
          const step = await STEPS[name].create(settings, { env });
          const outcome = await step.run(current, {
            ...(processOptions.signal ? { signal: processOptions.signal } : {}),
          });
          if (outcome.note !== undefined) {
            notes.push(outcome.note);
            logger.warn(
              { step: name, why: outcome.note },
              'post-processing step left the text as it was',
            );
          } else {
            // a step that empties the text ("scratch that" at the end) is obeyed
            current = outcome.text;
            applied.push(name);
          }
        } catch (err) {
          notes.push(`${name}: ${(err as Error).message}`);
          logger.warn(
            { step: name, err },
            'post-processing step failed; the text is kept as it was',
          );
        }
      }
      const final = applyFinalPunctuation(current, plan.finalPunctuation);
      if (final !== current) applied.push(`final:${plan.finalPunctuation}`);
      if (plan.profile !== undefined) applied.unshift(`profile:${plan.profile}`);
      logger.info(
        { applied, notes, windowClass: windowClass ?? null, chars: final.length },
        'post-processed',
      );
      return { text: final, applied, notes };
    },
  };
}

/** The chain as configured, for `whis status`: `replacements → spoken → llm (…); xterm: replacements, final remove`. */
export function describeChain(
  settings: PostProcessSettings,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const describe = (steps: StepName[], final: FinalPunctuation) => {
    const parts = steps.map((name) => STEPS[name].describe(settings, { env }));
    const chain = parts.length > 0 ? parts.join(' → ') : 'none';
    return final === 'keep' ? chain : `${chain}, final punctuation: ${final}`;
  };
  try {
    const base = planChain(settings);
    const profiles = Object.keys(settings.profiles ?? {}).map((key) => {
      const cls = key.split(',')[0]!.trim();
      const plan = planChain(settings, cls);
      return `${key}: ${describe(plan.steps, plan.finalPunctuation)}`;
    });
    return [describe(base.steps, base.finalPunctuation), ...profiles].join('; ');
  } catch (err) {
    return `not applied: ${(err as Error).message}`;
  }
}

/** Every step the settings name (the chain's and the profiles'), checked, for `whis doctor`. */
export async function checkChain(
  settings: PostProcessSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Array<{ step: string } & StepCheck>> {
  let names: Set<StepName>;
  try {
    names = new Set([
      ...planChain(settings).steps,
      ...Object.keys(settings.profiles ?? {}).flatMap(
        (key) => planChain(settings, key.split(',')[0]!.trim()).steps,
      ),
    ]);
  } catch (err) {
    return [
      {
        step: 'postProcess',
        ok: false,
        detail: (err as Error).message,
        fix: 'whis config set postProcess replacements,spoken (steps: replacements, spoken, fillers, llm, command)',
      },
    ];
  }
  const checks = [];
  for (const name of names) {
    try {
      checks.push({ step: name, ...(await STEPS[name].check(settings, { env })) });
    } catch (err) {
      checks.push({ step: name, ok: false, detail: (err as Error).message });
    }
  }
  return checks;
}
