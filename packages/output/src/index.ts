export { copyToClipboard, clipboardTools, type ClipboardOptions } from './clipboard.js';
export {
  createClipboardOutput,
  createStdoutOutput,
  createFileOutput,
  combineOutputs,
  type Output,
} from './outputs.js';
export { OutputError, type OutputErrorCode } from './errors.js';
