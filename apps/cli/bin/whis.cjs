#!/usr/bin/env node
// Starts the whis CLI fast: the CLI is one bundled script (dist/whis.cjs) compiled with a V8 code
// cache kept in $XDG_CACHE_HOME/whis, so a `whis status` pays neither for resolving and reading
// dozens of module files nor for compiling them again. Without the bundle (a build without the
// bundle step), it falls back to the ES modules in dist/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const os = require('node:os');

const bundle = path.join(__dirname, '..', 'dist', 'whis.cjs');
let source;
try {
  source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
} catch {
  import(require('node:url').pathToFileURL(path.join(__dirname, '..', 'dist', 'main.js')).href);
  return;
}
const stat = fs.statSync(bundle);
const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'whis');
const cacheFile = path.join(
  cacheDir,
  `cli-${process.version}-${stat.size}-${Math.floor(stat.mtimeMs)}.v8`,
);
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // first run of this build: compiled from source, cached below
}
const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
// a script restored from a code cache cannot call import() on Node 20; this module can
globalThis.__whisImport = (url) => import(url);
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
