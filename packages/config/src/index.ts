export { resolvePaths, type WhisPaths } from './paths.js';
export {
  SETTING_KEYS,
  ConfigError,
  parseSettingValue,
  readSettings,
  writeSettings,
  setSetting,
  unsetSetting,
  maskSecret,
  maskSettings,
  type ConfigErrorCode,
  type Settings,
  type SettingKey,
} from './settings.js';
export {
  FileError,
  writeFileAtomic,
  ensurePrivateDir,
  ensurePrivateDirSync,
  openLogFile,
  openLogDescriptor,
  type LogFile,
} from './files.js';
