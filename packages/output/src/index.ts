export {
  copyToClipboard,
  clipboardTools,
  readClipboard,
  writeClipboard,
  type ClipboardOptions,
  type ClipboardContent,
} from './clipboard.js';
export {
  createPasteOutput,
  createTypeOutput,
  describeInsertion,
  insertOptionsFrom,
  focusedWindowClass,
  type InsertOptions,
  type InsertSettings,
} from './insert.js';
export {
  detectSession,
  keyboardsFor,
  pasteChordFor,
  parseChord,
  formatChord,
  activeWindowQuery,
  escapeSendKeys,
  onPath,
  KEYBOARDS,
  type Session,
  type Keyboard,
  type Chord,
  type Command,
} from './keyboard.js';
export {
  createClipboardOutput,
  createStdoutOutput,
  createFileOutput,
  combineOutputs,
  type Output,
} from './outputs.js';
export { createCommandOutput, type CommandOutputOptions } from './command.js';
export { OutputError, type OutputErrorCode } from './errors.js';
