// The catalogue: for each kind of part whis is made of, one table from the name a setting uses to
// how the part is made from the settings, how it is described (`whis status`), and what it needs
// (`whis doctor`, `status` problems). A new output, engine or trigger is a file in its own package
// and one row here; the composition (compose.ts), the checks and the settings' allowed values all
// read these tables.
export * from './context.js';
export * from './engines.js';
export * from './microphones.js';
export * from './outputs.js';
export * from './triggers.js';
