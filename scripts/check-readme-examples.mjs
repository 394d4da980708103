// Type-checks every JavaScript and TypeScript example in the packages' READMEs against the
// packages' built declarations, so that a README cannot name an export, an option or a method
// that does not exist. Run by `npm run check` (after a build).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'out-tsc', 'readme-examples');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const readmes = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name, 'README.md'))
    .filter((path) => existsSync(path)),
);
const files = [];
for (const readme of readmes) {
  const text = readFileSync(readme, 'utf8');
  const blocks = [...text.matchAll(/^```(js|mjs|ts)\n([\s\S]*?)^```/gm)];
  blocks.forEach(([, lang, code], i) => {
    const name = readme
      .slice(root.length)
      .replace(/\/README\.md$/, '')
      .replace(/\//g, '-');
    const file = join(out, `${name}-${i + 1}.${lang === 'ts' ? 'mts' : 'mjs'}`);
    // each example is a module of its own (top-level await, imports); one that goes on from an
    // earlier one says "// `host` as above" and gets a host to use
    const prelude = code.includes('// `host` as above')
      ? "/** @type {import('@whis/service-core').ServiceHost} */\nconst host = undefined;\n"
      : '';
    writeFileSync(file, `${prelude}${code}\nexport {};\n`);
    files.push(file);
  });
}
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      allowJs: true,
      checkJs: true,
      noEmit: true,
      strict: false,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    },
    include: ['*.mjs', '*.mts'],
  }),
);
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', out],
  {
    encoding: 'utf8',
  },
);
if (tsc.status !== 0) {
  process.stderr.write(`README examples do not type-check:\n${tsc.stdout}${tsc.stderr}`);
  process.exit(1);
}
console.log(`${files.length} README examples type-check`);
