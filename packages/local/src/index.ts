export { LocalError, type LocalErrorCode } from './errors.js';
export {
  MODELS,
  DEFAULT_MODEL,
  DEFAULT_MODEL_BASE_URL,
  MODEL_ROLES,
  MAX_SEGMENT_SECONDS,
  findModel,
  modelFileUrl,
  recognizerConfig,
  type CatalogueModel,
  type ModelFile,
  type ModelFiles,
  type ModelRole,
  type ModelType,
} from './models.js';
export {
  MANIFEST,
  modelsDir,
  modelDir,
  listInstalled,
  readManifest,
  openInstalledModel,
  installedProblems,
  removeModel,
  filesByRole,
  repairHint,
  type InstalledModel,
  type InstalledFile,
} from './store.js';
export {
  createLocalTranscriber,
  MIN_SEGMENT_SECONDS,
  DEFAULT_IDLE_MS,
  type LocalTranscriber,
  type LocalTranscriberOptions,
} from './transcriber.js';
export {
  downloadModel,
  addModel,
  detectModel,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
} from './download.js';
