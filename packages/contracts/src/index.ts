export type * from './ports.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export { silentLogger } from './logger.js';
