import { readSettings, resolvePaths } from '@whis/config';
import type { CatalogueModel, DownloadProgress } from '@whis/local';
import { readFile } from 'node:fs/promises';
import { CliError, ExitCode } from '../errors.js';
import { loadPackage } from '../lazy.js';
import type { ModelArgs } from './model.js';

type Local = typeof import('@whis/local');

const mb = (bytes: number): string =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;

function timeLeft(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.ceil(seconds);
  return s >= 60 ? `, ${Math.floor(s / 60)} min ${s % 60} s left` : `, ${s} s left`;
}

function usage(message: string, hint: string): CliError {
  return new CliError(message, { exitCode: ExitCode.Usage, hint });
}

/** A bar on a terminal; a line every 10% otherwise (a log, a pipe). */
function progressPrinter(name: string): { update(p: DownloadProgress): void; done(): void } {
  const stream = process.stderr;
  let lastTenth = -1;
  return {
    update(p) {
      const share = p.totalBytes > 0 ? p.receivedBytes / p.totalBytes : 0;
      const rate = p.bytesPerSecond > 0 ? `, ${mb(p.bytesPerSecond)}/s` : '';
      const figures = `${mb(p.receivedBytes)} of ${mb(p.totalBytes)}${rate}${timeLeft(p.secondsLeft)}`;
      if (stream.isTTY) {
        const width = 24;
        const full = Math.round(share * width);
        stream.write(
          `\r\x1b[2K${name} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.floor(share * 100)}% ${figures}`,
        );
        return;
      }
      const tenth = Math.floor(share * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      stream.write(`whis: ${name}: ${tenth * 10}% (${figures})\n`);
    },
    done() {
      if (stream.isTTY) stream.write('\r\x1b[2K');
    },
  };
}

// WHIS_MODEL_CATALOGUE names a JSON file of more catalogue rows (a team's own models on its own
// host, and the tests' generated ones): a row of the same name replaces the built-in one.
async function catalogue(local: Local): Promise<readonly CatalogueModel[]> {
  const file = process.env.WHIS_MODEL_CATALOGUE;
  if (!file) return local.MODELS;
  let extra: CatalogueModel[];
  try {
    extra = JSON.parse(await readFile(file, 'utf8')) as CatalogueModel[];
    if (!Array.isArray(extra)) throw new Error('not a JSON array of models');
  } catch (err) {
    throw new CliError(`WHIS_MODEL_CATALOGUE (${file}) cannot be read: ${(err as Error).message}`, {
      hint: 'Point it at a JSON array of models as @whis/local describes them, or unset it.',
    });
  }
  const names = new Set(extra.map((m) => m.name));
  return [...local.MODELS.filter((m) => !names.has(m.name)), ...extra];
}

export async function runModel(args: ModelArgs): Promise<number> {
  const local = await loadPackage<Local>('@whis/local');
  const models = await catalogue(local);
  const settings = await readSettings(resolvePaths().settingsFile);
  const inUse = settings.localModel ?? local.DEFAULT_MODEL;
  const out = (line: string) => process.stdout.write(`${line}\n`);

  switch (args.action) {
    case 'list': {
      const installed = await local.listInstalled();
      const byName = new Map(installed.map((m) => [m.name, m]));
      const rows = [
        ...models.map((m) => ({
          name: m.name,
          title: m.title,
          type: m.type,
          sizeBytes: m.sizeBytes as number,
          languages: m.languages as readonly string[],
          licence: m.licence as string,
          memoryMiB: m.memoryMiB as number | undefined,
          installed: byName.has(m.name),
          inUse: m.name === inUse,
          origin: 'catalogue',
        })),
        ...installed
          .filter((m) => !local.findModel(m.name, models))
          .map((m) => ({
            name: m.name,
            title: `added from ${m.origin}`,
            type: m.type,
            sizeBytes: m.files.reduce((n, f) => n + f.bytes, 0),
            languages: [] as readonly string[],
            licence: '',
            memoryMiB: undefined,
            installed: true,
            inUse: m.name === inUse,
            origin: m.origin,
          })),
      ];
      if (args.json) {
        out(JSON.stringify(rows));
        return ExitCode.Ok;
      }
      for (const r of rows) {
        const mark = r.inUse ? '*' : ' ';
        const state = r.installed ? 'installed' : 'not installed';
        const langs =
          r.languages.length > 3 ? `${r.languages.length} languages` : r.languages.join(', ');
        out(
          `${mark} ${r.name.padEnd(22)} ${mb(r.sizeBytes).padStart(9)}  ${state.padEnd(13)}  ${r.title}${langs ? ` (${langs})` : ''}${r.licence ? `, ${r.licence}` : ''}`,
        );
      }
      if (!rows.some((r) => r.inUse)) {
        out(`  (localModel is "${inUse}", which is neither in the catalogue nor installed)`);
      }
      out(`* in use (localModel). Models are kept in ${local.modelsDir()}.`);
      return ExitCode.Ok;
    }
    case 'download': {
      const name = args.target;
      if (!name)
        throw usage(
          'Which model?',
          'Run `whis model download NAME`; `whis model list` shows the names.',
        );
      const model = local.findModel(name, models);
      if (!model) {
        throw usage(
          `"${name}" is not a model of the catalogue.`,
          `The catalogue: ${models.map((m) => m.name).join(', ')}. A folder of your own: \`whis model add DIR --name ${name}\`.`,
        );
      }
      if (await local.readManifest(await local.modelDir(name))) {
        out(`${name} is installed already.`);
        return ExitCode.Ok;
      }
      const controller = new AbortController();
      const onInterrupt = () => controller.abort();
      process.once('SIGINT', onInterrupt);
      const printer = progressPrinter(name);
      try {
        const { model: installed, unverified } = await local.downloadModel(model, {
          mirror: args.mirror ?? settings.modelMirror,
          signal: controller.signal,
          onProgress: (p) => printer.update(p),
        });
        printer.done();
        for (const file of unverified) {
          process.stderr.write(
            `whis: ${file} was not verified: no public source pins its SHA-256; it is recorded in the manifest as downloaded.\n`,
          );
        }
        out(`Installed ${name} (${mb(model.sizeBytes)}) in ${installed.dir}.`);
        if (name !== inUse) out(`Use it: whis config set localModel ${name}`);
        return ExitCode.Ok;
      } catch (err) {
        printer.done();
        if (controller.signal.aborted) {
          process.stderr.write(
            `whis: download stopped; what arrived is kept. Run \`whis model download ${name}\` to resume.\n`,
          );
          return ExitCode.Interrupted;
        }
        throw err;
      } finally {
        process.off('SIGINT', onInterrupt);
      }
    }
    case 'remove': {
      const name = args.target;
      if (!name)
        throw usage('Which model?', 'Run `whis model remove NAME`; `whis model list` shows them.');
      if (!(await local.removeModel(name))) {
        throw new CliError(`No model "${name}" is installed.`, {
          hint: '`whis model list` shows what is installed.',
        });
      }
      out(`Removed ${name}.`);
      if (name === inUse) {
        out(
          `It was in use (localModel): run \`whis model download ${name}\`, or choose another with \`whis config set localModel NAME\`.`,
        );
      }
      return ExitCode.Ok;
    }
    case 'add': {
      const dir = args.target;
      const name = args.name;
      if (!dir || !name) {
        throw usage('Which folder, and under what name?', 'Run `whis model add DIR --name NAME`.');
      }
      const model = await local.addModel(dir, name, {
        type: args.type as 'nemo-transducer' | 'whisper' | 'moonshine' | undefined,
      });
      out(`Installed ${name} (${model.type}, loaded and checked) in ${model.dir}.`);
      if (name !== inUse) out(`Use it: whis config set localModel ${name}`);
      return ExitCode.Ok;
    }
  }
}
