// The catalogue: for each kind of part whis is made of, one table from the name a setting uses to
// a row that makes the part from the settings and answers the same questions of it: what it is
// (`whis status`), what is wrong with the settings (`status` problems) and whether it works here
// (`whis doctor`, `whis setup`). A new output, engine or trigger is a file in its own package and
// one row here; the composition (compose.ts), the checks and the settings' allowed values all read
// these tables, and `rowsInForce` is the one place that maps the settings to their rows.
import type { Settings } from '@whis/config';
import { EDIT } from './edit.js';
import { engineFor, ENGINES } from './engines.js';
import { feedbackFor } from './feedback.js';
import { microphoneFor } from './microphones.js';
import { outputsFor } from './outputs.js';
import type { Row } from './row.js';
import { stepsFor } from './steps.js';
import { triggerFor } from './triggers.js';

export * from './context.js';
export * from './edit.js';
export * from './engines.js';
export * from './feedback.js';
export * from './microphones.js';
export * from './outputs.js';
export * from './row.js';
export * from './steps.js';
export * from './triggers.js';

/**
 * The rows the settings put in force, in the order a person checks them: where the sound comes
 * from, where the text goes, the key, the engine, the feedback, the steps. Outputs that share a
 * need answer with the same check (by name): a caller keeps the first.
 */
export function rowsInForce(settings: Settings, env: NodeJS.ProcessEnv): Row[] {
  const steps = stepsFor(settings);
  return [
    microphoneFor(),
    ...outputsFor(settings),
    triggerFor(settings),
    ENGINES[engineFor(settings, env)],
    ...feedbackFor(settings),
    ...(steps ? [steps] : []),
    EDIT,
  ];
}
