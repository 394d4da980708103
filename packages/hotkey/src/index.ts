export {
  parseHotkey,
  formatHotkey,
  MODIFIER_KEYS,
  type Hotkey,
  type Modifier,
  type Side,
} from './spec.js';
export {
  createHotkeyTrigger,
  hotkeyUnavailableReason,
  WAYLAND_HELP,
  type HotkeyTrigger,
  type HotkeyTriggerEvent,
  type HotkeyTriggerOptions,
  type HotkeyMode,
  type HotkeyLogger,
} from './trigger.js';
export { HotkeyError, type HotkeyErrorCode } from './errors.js';
