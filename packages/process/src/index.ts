export {
  runProcess,
  shellCommand,
  endProcessGroup,
  type RunOptions,
  type RunResult,
} from './run.js';
export { ProcessError, type ProcessErrorCode } from './errors.js';
