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
  formatSettingValue,
  parsePairs,
  POST_PROCESS_STEPS,
  type ConfigErrorCode,
  type Profile,
  type Settings,
  type SettingKey,
} from './settings.js';
export {
  FileError,
  writeFileAtomic,
  ensurePrivateDir,
  ensurePrivateDirSync,
  privateDirProblem,
  openLogFile,
  openLogDescriptor,
  type LogFile,
} from './files.js';
