/** Benchmark rows, their side-by-side comparisons, and how they are printed and saved. */
import type { Measurement } from './harness.js';

export type SuiteId = 'signing' | 'xml' | 'cos' | 'audit' | 'decisions' | 'blocks' | 'app' | 'burst';

export interface Comparison {
  baselineId: string;
  baselineLabel: string;
  /**
   * 'rate': this row's rate ÷ the baseline's (0.5 = half as many per second).
   * 'p50': this row's median latency ÷ the baseline's (2 = twice as slow per operation).
   */
  basis: 'rate' | 'p50';
  ratio: number;
  /** One line: what the ratio says. */
  meaning: string;
}

export interface BenchRow {
  /** Stable key for JSON consumers and tests, e.g. `signing.cosAuthorization`. */
  id: string;
  label: string;
  /** Unit of `rate`, e.g. 'ops/s', 'req/s', 'appends/s', 'entries/s'. */
  unit: string;
  /** Throughput in `unit`: the measurement's median ops/s times the units one operation covers. */
  rate: number;
  /** What the row is about: latency rows print their rate only in the JSON. */
  headline: 'rate' | 'latency';
  measurement: Measurement;
  comparison?: Comparison;
  details?: Record<string, number | string>;
}

export interface BenchGroup {
  id: SuiteId;
  title: string;
  rows: BenchRow[];
  /** Context printed under the table (environment, what was held constant). */
  notes: string[];
  /** Headline figures under stable dotted keys (e.g. `click_storm.ack_p99_ratio`), for bench/results.json. */
  figures?: Record<string, number>;
}

export interface RowOptions {
  unit?: string;
  /** Units one operation covers (e.g. entries per verify). Default 1. */
  unitsPerOp?: number;
  /** A rate observed elsewhere (e.g. a server's own request counter), instead of the measurement's. */
  rate?: number;
  headline?: 'rate' | 'latency';
  details?: Record<string, number | string>;
}

export function row(id: string, label: string, measurement: Measurement, options: RowOptions = {}): BenchRow {
  return {
    id,
    label,
    unit: options.unit ?? 'ops/s',
    rate: options.rate ?? measurement.opsPerSec * (options.unitsPerOp ?? 1),
    headline: options.headline ?? 'rate',
    measurement,
    ...(options.details === undefined ? {} : { details: options.details }),
  };
}

/** Sets `target.comparison` against `baseline`; `explain` turns the ratio into the one-line meaning. */
export function compare(
  target: BenchRow,
  baseline: BenchRow,
  basis: 'rate' | 'p50',
  explain: (ratio: number) => string,
): BenchRow {
  const ratio =
    basis === 'rate'
      ? target.rate / baseline.rate
      : target.measurement.latencyMs.p50 / baseline.measurement.latencyMs.p50;
  target.comparison = {
    baselineId: baseline.id,
    baselineLabel: baseline.label,
    basis,
    ratio,
    meaning: explain(ratio),
  };
  return target;
}

// ---- formatting ----

export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : ms < 0.1 ? 1 : 0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** "3.10×", with enough digits to tell 0.97 from 1.00. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  if (ratio >= 100) return `${Math.round(ratio)}×`;
  if (ratio >= 10) return `${ratio.toFixed(1)}×`;
  return `${ratio.toFixed(2)}×`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const length = [...text].length;
  if (length >= width) return text;
  const fill = ' '.repeat(width - length);
  return align === 'left' ? text + fill : fill + text;
}

export function renderGroup(group: BenchGroup, index: number): string {
  const header = ['row', 'rate', 'p50', 'p95', 'ratio'];
  const cells = group.rows.map((r) => {
    const m = r.measurement;
    const rate = r.headline === 'latency' ? '—' : `${formatRate(r.rate)} ${r.unit}`;
    const ratio =
      r.comparison === undefined
        ? ''
        : `${formatRatio(r.comparison.ratio)} ${r.comparison.basis === 'rate' ? 'rate' : 'p50'} of ${r.comparison.baselineLabel}`;
    return [r.label, rate, formatMs(m.latencyMs.p50), formatMs(m.latencyMs.p95), ratio];
  });
  const widths = header.map((h, column) =>
    Math.max(h.length, ...cells.map((c) => [...(c[column] ?? '')].length)),
  );
  const align: ('left' | 'right')[] = ['left', 'right', 'right', 'right', 'left'];
  const line = (values: string[]) =>
    `  ${values.map((v, column) => pad(v, widths[column] ?? 0, align[column] ?? 'left')).join('  ')}`.trimEnd();

  const out: string[] = [`${index}. ${group.title}`, line(header)];
  group.rows.forEach((r, i) => {
    out.push(line(cells[i] ?? []));
    if (r.comparison) out.push(`      ↳ ${r.comparison.meaning}`);
  });
  for (const note of group.notes) out.push(`  note: ${note}`);
  return out.join('\n');
}

export interface BenchReport {
  startedAt: string;
  quick: boolean;
  node: string;
  platform: string;
  cpus: number;
  durationMs: number;
  groups: BenchGroup[];
  failures: { suite: SuiteId; error: string }[];
}
