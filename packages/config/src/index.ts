export { resolvePaths, type WhisPaths } from './paths.js';
export {
  SETTING_KEYS,
  settingsSchema,
  profileSchema,
  settingsProblems,
  isSettingKey,
  type Settings,
  type SettingKey,
  type SettingSpec,
  type SettingForm,
  type SettingProblem,
  type Profile,
} from './schema.js';
export {
  ConfigError,
  parseSettingValue,
  parseSettings,
  readSettings,
  writeSettings,
  setSetting,
  unsetSetting,
  maskSecret,
  maskSettings,
  formatSettingValue,
  parsePairs,
  type ConfigErrorCode,
} from './settings.js';
export {
  FileError,
  type FileErrorCode,
  writeFileAtomic,
  ensurePrivateDir,
  ensurePrivateDirSync,
  privateDirProblem,
  openLogFile,
  openLogDescriptor,
  type LogFile,
} from './files.js';
