export {
  copyToClipboard,
  clipboardTools,
  readClipboard,
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
export { detectSession, type Session } from './session.js';
export type { Chord } from './chords.js';
export { KEYBOARDS, KEYBOARD_NAMES, type KeyboardName } from './keyboards/index.js';
export { onPath, type Keyboard, type Command } from './keyboards/keyboard.js';
export { probeRemoteDesktop, closeRemoteDesktops } from './remote-desktop.js';
export {
  createClipboardOutput,
  createStdoutOutput,
  createFileOutput,
  combineOutputs,
  type Output,
} from './outputs.js';
export { createCommandOutput, type CommandOutputOptions } from './command.js';
export { createSelectionSource, type SelectionOptions } from './selection.js';
export { OutputError, type OutputErrorCode } from './errors.js';
