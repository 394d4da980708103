// The post-processing chain as one row of the catalogue: `@whis/postprocess` keeps the table of
// steps (each builds, describes and checks itself); this row answers for the steps the settings
// name, in the chain or in a profile.
import type { Settings } from '@whis/config';
import { checkChain, describeChain } from '@whis/postprocess';
import { optional, type Row } from './row.js';

const named = (settings: Settings) => [
  ...(settings.postProcess ?? []),
  ...Object.values(settings.profiles ?? {}).flatMap((p) => p.postProcess ?? []),
];

/** The steps the settings name, as one row; undefined when they name none. */
export function stepsFor(settings: Settings): Row | undefined {
  if (named(settings).length === 0) return undefined;
  return {
    summary: 'the post-processing steps between "transcribed" and "delivered"',
    describe(current, env) {
      try {
        return describeChain(current, env);
      } catch {
        return undefined;
      }
    },
    problems: () => [],
    // not required: a step that cannot work leaves the text as heard, so a dictation still succeeds
    async probe({ settings: current, env }) {
      return (await checkChain(current, env)).map((c) =>
        optional({
          name: `Post-processing: ${c.step}`,
          ok: c.ok,
          detail: c.detail,
          ...(c.fix ? { fix: c.fix } : {}),
        }),
      );
    },
  };
}
