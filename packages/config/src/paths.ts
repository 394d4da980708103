import { join } from 'node:path';
import envPaths from 'env-paths';

export interface WhisPaths {
  /** `$XDG_CONFIG_HOME/whis` */
  configDir: string;
  /** `$XDG_CONFIG_HOME/whis/settings.json`, kept 0600 because it may hold the API key. */
  settingsFile: string;
  /** `$XDG_DATA_HOME/whis` */
  dataDir: string;
  /** `$XDG_DATA_HOME/whis/recordings`, the recordings journal. */
  recordingsDir: string;
  /** `$XDG_DATA_HOME/whis/transcripts.txt`, where the `file` output writes without `outputFile`. */
  transcriptFile: string;
  /** `$XDG_STATE_HOME/whis` */
  stateDir: string;
  /** `$XDG_STATE_HOME/whis/whisd.log`, the daemon's JSON log. */
  logFile: string;
  /** `$XDG_CACHE_HOME/whis` */
  cacheDir: string;
}

/**
 * Where whis keeps its files: the XDG base directories on Linux (read from the environment at each
 * call), the platform's conventional folders on macOS and Windows.
 */
export function resolvePaths(): WhisPaths {
  const paths = envPaths('whis', { suffix: '' });
  return {
    configDir: paths.config,
    settingsFile: join(paths.config, 'settings.json'),
    dataDir: paths.data,
    transcriptFile: join(paths.data, 'transcripts.txt'),
    recordingsDir: join(paths.data, 'recordings'),
    stateDir: paths.log,
    logFile: join(paths.log, 'whisd.log'),
    cacheDir: paths.cache,
  };
}
