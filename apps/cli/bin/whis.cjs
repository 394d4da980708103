#!/usr/bin/env node
// Starts the whis CLI fast: the CLI is bundled scripts (dist/*.cjs) compiled with a V8 code cache
// kept in $XDG_CACHE_HOME/whis, so a command pays neither for resolving and reading dozens of
// module files nor for compiling them again. The commands a key binding or a status bar runs
// (`toggle`, `start`, `finish`, `cancel`, `status`: src/fast.ts keeps the list) are taken by
// dist/whis-fast.cjs, which holds only them and the socket client; everything it declines runs the
// full command line in dist/whis.cjs. WHIS_FULL_CLI=1 skips the fast entry (to compare the two).
// Without the bundles (a build without the bundle step), it falls back to the ES modules in dist/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const os = require('node:os');

const dist = path.join(__dirname, '..', 'dist');

// Runs a bundle as a CommonJS module; its exports, or undefined when the bundle is not built.
function load(name) {
  const bundle = path.join(dist, name);
  let source;
  try {
    source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  } catch {
    return undefined;
  }
  const stat = fs.statSync(bundle);
  const cacheDir = path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'whis',
  );
  const cacheFile = path.join(
    cacheDir,
    `${path.basename(name, '.cjs')}-${process.version}-${stat.size}-${Math.floor(stat.mtimeMs)}.v8`,
  );
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // first run of this build: compiled from source, cached below
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // after the run, so that the functions the command compiled lazily are in the cache too
    process.once('exit', () => {
      try {
        fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData());
        fs.renameSync(`${cacheFile}.${process.pid}`, cacheFile);
      } catch {
        // a cache is an optimisation: never fail a command over it
      }
    });
  }
  const module_ = { exports: {} };
  script.runInThisContext()(
    module_.exports,
    Module.createRequire(bundle),
    module_,
    bundle,
    path.dirname(bundle),
  );
  return module_.exports;
}

// a script restored from a code cache cannot call import() on Node 20; this module can
globalThis.__whisImport = (url) => import(url);

// the fast entry's verbs, as the bundle step wrote them from src/fast.ts (FAST_VERBS)
function fastVerbs() {
  try {
    return JSON.parse(fs.readFileSync(path.join(dist, 'fast-verbs.json'), 'utf8'));
  } catch {
    return [];
  }
}
const fast =
  !process.env.WHIS_FULL_CLI && fastVerbs().includes(process.argv[2])
    ? load('whis-fast.cjs')
    : undefined;
if (!fast?.runFast(process.argv.slice(2)) && load('whis.cjs') === undefined) {
  import(require('node:url').pathToFileURL(path.join(dist, 'main.js')).href);
}
