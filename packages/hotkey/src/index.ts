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
  resolveHotkeyBackend,
  hotkeyUnavailableReason,
  grabsOnX11,
  WAYLAND_HELP,
  type HotkeyTrigger,
  type HotkeyTriggerEvent,
  type HotkeyTriggerOptions,
  type HotkeyMode,
  type HotkeyBackend,
  type HotkeyLogger,
  type EditKeyStatus,
} from './trigger.js';
export { probeKeyGrab, type KeyGrabProbe } from './grab.js';
export { HotkeyError, type HotkeyErrorCode } from './errors.js';
export {
  preferredTrigger,
  probeGlobalShortcuts,
  portalProblem,
  gnomeWithoutGlobalShortcuts,
  PORTAL_SHORTCUT_ID,
  PORTAL_EDIT_SHORTCUT_ID,
  type PortalTriggerOptions,
  type PortalProblem,
} from './portal.js';
export {
  PORTAL_APP_ID,
  desktopEntryPath,
  checkDesktopEntry,
  writeDesktopEntry,
  portalNeedsDesktopEntry,
  type DesktopEntryCheck,
} from './desktop-entry.js';
