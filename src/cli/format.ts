/** Plain-text rendering for terminals: aligned tables and key/value blocks, no colours. */

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Server text goes to a terminal: no escape sequences, no line breaks inside a cell. */
export function cell(text: string, maxLength = 60): string {
  const clean = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  const chars = [...clean];
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join('')}…` : clean;
}

function width(text: string): number {
  let total = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    // East Asian wide characters and emoji take two terminal columns.
    total +=
      code >= 0x1100 &&
      (code <= 0x115f ||
        (code >= 0x2e80 && code <= 0xa4cf) ||
        (code >= 0xac00 && code <= 0xd7a3) ||
        (code >= 0xf900 && code <= 0xfaff) ||
        (code >= 0xfe30 && code <= 0xfe4f) ||
        (code >= 0xff00 && code <= 0xff60) ||
        (code >= 0xffe0 && code <= 0xffe6) ||
        code >= 0x1f300)
        ? 2
        : 1;
  }
  return total;
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((text, column) =>
        column === cells.length - 1 ? text : text + ' '.repeat(widths[column]! - width(text)),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function keyValues(pairs: readonly (readonly [string, string | undefined])[], indent = '  '): string {
  const shown = pairs.filter((pair): pair is readonly [string, string] => pair[1] !== undefined);
  const keyWidth = Math.max(0, ...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${indent}${`${key}:`.padEnd(keyWidth + 2)}${value}`).join('\n');
}
