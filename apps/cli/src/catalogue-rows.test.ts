// A new engine, output, trigger, feedback kind or post-processing step is one row of its table (and
// its name in @whis/contracts' lists): the commands that check and describe the parts loop over
// the rows in force and never name one. This reads the built commands, as they ship, for any row's
// name as a string or as a property of its table.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { KEYBOARDS } from '@whis/output';
import { STEPS } from '@whis/postprocess';
import { ENGINES, FEEDBACK, MICROPHONES, OUTPUTS, TRIGGERS } from '@whis/service';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const TABLES = { ENGINES, FEEDBACK, MICROPHONES, OUTPUTS, TRIGGERS, STEPS, KEYBOARDS };
const COMMANDS = ['doctor', 'setup', 'status'];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Where the built command names a row: `'x11'`, `"paste"`, `` `file` ``, `TRIGGERS.none`. */
function rowNames(code: string): string[] {
  const found: string[] = [];
  for (const [table, rows] of Object.entries(TABLES))
    for (const name of Object.keys(rows)) {
      const literal = new RegExp(`(['"\`])${escape(name)}\\1`, 'g');
      const member = new RegExp(`\\b${table}\\s*\\.\\s*${escape(name)}\\b`, 'g');
      for (const match of code.matchAll(literal)) found.push(`${table} ${match[0]}`);
      for (const match of code.matchAll(member)) found.push(`${table} ${match[0]}`);
    }
  return found;
}

describe('the commands that check and describe the parts name no row', () => {
  it.each(COMMANDS)('whis %s (built) names no row of any table', async (command) => {
    const code = await readFile(
      new URL(`../dist/commands/${command}.impl.js`, import.meta.url),
      'utf8',
    );
    expect(rowNames(code)).toEqual([]);
  });

  // the composition, the settings' reading and the setup command's flags: they too reach a row
  // through its table and the settings, never by its name
  it.each([
    ['the composition', '@whis/service', 'compose.js', []],
    ['the service options', '@whis/service', 'options.js', []],
    // `--sounds none` is the sounds flag's word for no cue, not the trigger row of that name
    ['whis setup (its flags)', '@whis/cli', 'commands/setup.js', ["TRIGGERS 'none'"]],
  ])('%s (built) names no row of any table', async (_what, pkg, file, words) => {
    const dist =
      pkg === '@whis/cli'
        ? new URL('../dist/', import.meta.url)
        : new URL('./dist/', pathToFileURL(require.resolve(`${pkg}/package.json`)));
    const code = await readFile(new URL(file, dist), 'utf8');
    expect(rowNames(code)).toEqual(words);
  });

  it('the check finds a row named in a command', () => {
    // indexing a table by what the settings say is how a command reaches the row in force
    const code = `if (backend === 'portal') TRIGGERS.x11.create(); OUTPUTS[name]`;
    expect(rowNames(code).sort()).toEqual([
      "KEYBOARDS 'portal'",
      "TRIGGERS 'portal'",
      'TRIGGERS TRIGGERS.x11',
    ]);
  });
});
