import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const requireFrom = createRequire(import.meta.url);

/**
 * Loads a package on first use. The specifier is resolved to a file URL here because the CLI runs
 * as one bundled script evaluated with a V8 code cache, where a bare `import('pkg')` would resolve
 * from the working directory instead of from this package.
 */
export function loadPackage<T>(name: string): Promise<T> {
  const url = pathToFileURL(requireFrom.resolve(name)).href;
  // a script restored from a V8 code cache cannot call import() on Node 20: the launcher
  // (bin/whis.cjs), a plain module, lends its own
  const lent = (globalThis as { __whisImport?: (url: string) => Promise<unknown> }).__whisImport;
  return (lent ? lent(url) : import(url)) as Promise<T>;
}
