/**
 * docs/hostile-inputs.md is a promise: each row names the test that proves its answer. This reads the
 * table and fails when a referenced file or test name does not exist, when a row is neither tested nor
 * pending on a named part, or when fewer than 60 rows have a test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const DOC = 'docs/hostile-inputs.md';
const MIN_TESTED_ROWS = 60;

interface Row {
  line: number;
  number: string;
  input: string;
  expected: string;
  test: string;
}

/** Splits a Markdown table row on the pipes that are not escaped as `\|`. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

function rows(markdown: string): Row[] {
  const found: Row[] = [];
  markdown.split('\n').forEach((text, index) => {
    if (!/^\|\s*\d+\s*\|/.test(text)) return;
    const [number = '', , input = '', expected = '', test = ''] = cells(text);
    found.push({ line: index + 1, number, input, expected, test });
  });
  return found;
}

const TESTED = /^`(?<file>test\/[^`]+\.test\.ts)` › `(?<name>[^`]+)`$/;
const PENDING = /^pending: part [AB]$/;

/** Whether `source` declares a test (or describe) whose name, or it.each template, is `name`. */
function declares(source: string, name: string): boolean {
  return ["'", '"', '`'].some((quote) => source.includes(`${quote}${name}${quote}`));
}

describe(DOC, () => {
  const table = rows(readFileSync(DOC, 'utf8'));

  it('every row has an input, an expected answer and a test or a pending part', () => {
    const bad = table.filter(
      (r) => !r.input || !r.expected || !(TESTED.test(r.test) || PENDING.test(r.test)),
    );
    expect(bad.map((r) => `line ${r.line}: ${r.test}`)).toEqual([]);
  });

  it('rows are numbered 1, 2, 3… in order', () => {
    expect(table.map((r) => r.number)).toEqual(table.map((_, i) => String(i + 1)));
  });

  it('every referenced test file exists and declares the named test', () => {
    const missing: string[] = [];
    const sources = new Map<string, string>();
    for (const row of table) {
      const match = TESTED.exec(row.test);
      if (!match?.groups) continue;
      const { file, name: cell } = match.groups as { file: string; name: string };
      // A `|` inside a table cell is written `\|`.
      const name = cell.replace(/\\\|/g, '|');
      if (!existsSync(file)) {
        missing.push(`row ${row.number}: ${file} does not exist`);
        continue;
      }
      const source = sources.get(file) ?? readFileSync(file, 'utf8');
      sources.set(file, source);
      if (!declares(source, name)) missing.push(`row ${row.number}: ${file} has no test named "${name}"`);
    }
    expect(missing).toEqual([]);
  });

  it(`has at least ${MIN_TESTED_ROWS} rows with a test`, () => {
    expect(table.filter((r) => TESTED.test(r.test)).length).toBeGreaterThanOrEqual(MIN_TESTED_ROWS);
  });

  it('the checks can fail: a made-up test name and a missing file are caught', () => {
    const source = readFileSync('test/faults/processes.test.ts', 'utf8');
    expect(declares(source, 'two bots, the leader SIGKILLed')).toBe(false);
    expect(declares(source, 'no such test in this file')).toBe(false);
    expect(TESTED.test('`test/x.test.ts` › `name`')).toBe(true);
    expect(existsSync('test/x.test.ts')).toBe(false);
    expect(PENDING.test('pending: part C')).toBe(false);
  });
});
