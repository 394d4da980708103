// The CLI's bundles (the `bundle` target, after `build`): dist/whis.cjs (the full command line)
// and dist/whis-fast.cjs (the verbs a key binding or a status bar runs), each one CommonJS file
// that bin/whis.cjs runs from a V8 code cache; and dist/fast-verbs.json, the fast entry's verbs
// (FAST_VERBS of src/fast.ts) for the launcher to read before it loads that entry.
//
// What is inlined follows one rule, not a list of flags: the bundles inline the CLI's light layer,
// the packages every command's start needs (INLINE below, and what they import in turn); every
// other dependency of package.json, and every other @whis package (a new one included), stays
// external and is loaded on demand (`loadPackage`), so that no command pays for it at start.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

// the socket client, the settings and their shared contracts, and the argument parser
const INLINE = new Set(['@whis/contracts', '@whis/config', '@whis/ipc', 'yargs']);
for (const name of INLINE)
  if (!(name in manifest.dependencies))
    throw new Error(`bundle: ${name} is inlined but not a dependency in package.json`);
const EXTERNAL = new Set(Object.keys(manifest.dependencies).filter((name) => !INLINE.has(name)));

// `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** @type {import('esbuild').Plugin} */
const externals = {
  name: 'whis-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, ({ path }) => {
      if (path.startsWith('node:')) return undefined;
      const name = packageOf(path);
      if (INLINE.has(name)) return undefined;
      if (EXTERNAL.has(name) || name.startsWith('@whis/')) return { path, external: true };
      return undefined; // what an inlined package imports is inlined with it
    });
  },
};

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  plugins: [externals],
  absWorkingDir: root,
};

await build({
  ...common,
  entryPoints: ['dist/main.js'],
  outfile: 'dist/whis.cjs',
  define: { 'import.meta.url': '__whisImportMetaUrl' },
  banner: {
    js: "const __whisImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
  },
  alias: { 'string-width': './dist/internal/string-width.js' },
});
await build({ ...common, entryPoints: ['dist/fast.js'], outfile: 'dist/whis-fast.cjs' });

const { FAST_VERBS } = await import(pathToFileURL(join(root, 'dist', 'fast.js')).href);
await writeFile(join(root, 'dist', 'fast-verbs.json'), `${JSON.stringify(FAST_VERBS)}\n`);
