import { ensurePrivateDir, resolvePaths, writeFileAtomic } from '@whis/config';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalError } from './errors.js';
import { MODEL_ROLES, type ModelFiles, type ModelRole, type ModelType } from './models.js';

/** The file that makes a folder an installed model: written last, after every file is in place. */
export const MANIFEST = 'whis-model.json';

/** What the manifest says of one file. */
export interface InstalledFile {
  role: ModelRole;
  path: string;
  bytes: number;
  sha256: string;
  /** Whether `sha256` matched a pinned value (false: recorded at download, or a folder of the user's). */
  verified: boolean;
}

/** An installed model, as its manifest describes it. */
export interface InstalledModel {
  name: string;
  type: ModelType;
  dir: string;
  files: InstalledFile[];
  /** `catalogue` (downloaded), or the folder it was added from. */
  origin: string;
  installedAt: string;
}

/** `$XDG_DATA_HOME/whis/models`: one folder per model. */
export function modelsDir(): string {
  return join(resolvePaths().dataDir, 'models');
}

/** The folder of one model (made 0700 with its parent when `create`). */
export async function modelDir(name: string, root = modelsDir(), create = false): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new LocalError(
      'unknown-model',
      `"${name}" is not a model name: use letters, digits, dots, dashes and underscores.`,
    );
  }
  const dir = join(root, name);
  if (create) {
    await ensurePrivateDir(root);
    await ensurePrivateDir(dir);
  }
  return dir;
}

/** The absolute path of each role's file. */
export function filesByRole(model: InstalledModel): ModelFiles {
  return Object.fromEntries(model.files.map((f) => [f.role, join(model.dir, f.path)]));
}

/** Writes the manifest: the last step of an install. */
export async function writeManifest(model: InstalledModel): Promise<void> {
  const { dir, ...rest } = model;
  await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(rest, null, 2)}\n`, 0o600);
}

/** The installed model in `dir`, or undefined when it has no readable manifest (not installed). */
export async function readManifest(dir: string): Promise<InstalledModel | undefined> {
  const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Omit<InstalledModel, 'dir'>;
    if (!parsed || !Array.isArray(parsed.files) || !(parsed.type in MODEL_ROLES)) return undefined;
    return { ...parsed, dir };
  } catch {
    return undefined;
  }
}

/** The installed models, by name. */
export async function listInstalled(root = modelsDir()): Promise<InstalledModel[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const models = await Promise.all(names.sort().map((n) => readManifest(join(root, n))));
  return models.filter((m): m is InstalledModel => m !== undefined);
}

/**
 * What is wrong with an installed model's files (missing, or of another size than when it was
 * installed), one line each; empty when it can be loaded. Sizes only: hashing 650 MB at every
 * load would cost seconds; the hash was checked when the file was written.
 */
export async function installedProblems(model: InstalledModel): Promise<string[]> {
  const problems: string[] = [];
  for (const role of MODEL_ROLES[model.type]) {
    const file = model.files.find((f) => f.role === role);
    if (!file) {
      problems.push(`the manifest names no ${role} file`);
      continue;
    }
    const size = await stat(join(model.dir, file.path)).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) problems.push(`${file.path} is missing`);
    else if (size !== file.bytes) {
      problems.push(`${file.path} has ${size} bytes, not the ${file.bytes} it was installed with`);
    }
  }
  return problems;
}

/**
 * The installed model `name`, checked by size: throws LocalError `not-installed` (with the
 * command that installs it) or `model-damaged` (with the command that repairs it).
 */
export async function openInstalledModel(
  name: string,
  root = modelsDir(),
): Promise<InstalledModel> {
  const model = await readManifest(await modelDir(name, root));
  if (!model) {
    throw new LocalError(
      'not-installed',
      `The local model "${name}" is not installed. Run \`whis model download ${name}\` (or \`whis model list\` for the others).`,
    );
  }
  const problems = await installedProblems(model);
  if (problems.length > 0) {
    throw new LocalError(
      'model-damaged',
      `The local model "${name}" is damaged (${problems.join('; ')}). ${repairHint(model)}`,
    );
  }
  return model;
}

/** The command that puts a broken model right: download again, or add the folder again. */
export function repairHint(model: Pick<InstalledModel, 'name' | 'origin'>): string {
  return model.origin === 'catalogue'
    ? `Run \`whis model remove ${model.name}\` then \`whis model download ${model.name}\`.`
    : `Run \`whis model remove ${model.name}\`, then \`whis model add DIR --name ${model.name}\` with a folder that holds a working model.`;
}

/** Removes a model's folder (its partial downloads included). Resolves false when there was none. */
export async function removeModel(name: string, root = modelsDir()): Promise<boolean> {
  const dir = await modelDir(name, root);
  const there = await stat(dir).then(
    () => true,
    () => false,
  );
  if (there) await rm(dir, { recursive: true, force: true });
  return there;
}
