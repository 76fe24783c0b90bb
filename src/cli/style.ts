/**
 * Colours for terminal output: only when the stream is a TTY and NO_COLOR is
 * not set (https://no-color.org), so pipes and logs get plain text.
 */
import { colourEnabled } from '../log/terminal.js';

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

export type StyleName = keyof typeof CODES;
export type Painter = Record<StyleName, (text: string) => string>;

export { colourEnabled };

/** Style functions for `stream`: ANSI codes when colour is on, identity when off. */
export function painterFor(stream: NodeJS.WriteStream): Painter {
  const on = colourEnabled(stream);
  const painter = {} as Painter;
  for (const [name, [open, close]] of Object.entries(CODES) as [StyleName, readonly [number, number]][]) {
    painter[name] = on ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
  }
  return painter;
}

export const out = painterFor(process.stdout);
export const err = painterFor(process.stderr);

/** Printable width of text that may hold ANSI codes. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI colour sequence starts with ESC
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
