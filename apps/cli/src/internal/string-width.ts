// Stands in for the `string-width` package inside the CLI bundle (see the `bundle` script).
// yargs measures its help columns with string-width, whose emoji and East Asian width tables
// cost about a third of `whis status`'s start-up; whis's help text is plain ASCII plus a few
// single-width punctuation marks, for which the visible length is the width.
// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC
const ANSI = /\x1b\[[0-9;]*m/g;

export default function stringWidth(text: string): number {
  return String(text).replace(ANSI, '').length;
}
