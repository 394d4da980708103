// What every row of the catalogue is made from, and where the engines read the settings.
import { readSettings, type Settings } from '@whis/config';
import type { Logger } from '@whis/contracts';

/** What every row is made from. */
export interface PartContext {
  settings: Settings;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Where the `file` output writes when `outputFile` is not set. */
  defaultTranscriptFile: string;
}

/**
 * Where the settings come from for the engines: the file, read again for every transcription (the
 * service: `whis config set model …` or a new key applies to the next recording without a
 * restart), or the settings read once (the one-shot `whis`: a missing key fails before recording).
 */
export type SettingsSource = { file: string } | { fixed: Settings };

/** The settings as they are now: read from the file, or the fixed ones. */
export const currentSettings = async (source: SettingsSource): Promise<Settings> =>
  'file' in source ? readSettings(source.file) : source.fixed;
