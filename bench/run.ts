/**
 * `npm run bench`: performance figures measured side by side in one run, printed as a table.
 * Exits 0 whatever the figures; 1 only when a suite breaks, 2 on a usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BenchUsageError, parseBenchArgs, runBench, USAGE } from './bench.js';
import { FULL_PARAMS, QUICK_PARAMS } from './params.js';
import { renderGroup } from './report.js';
import { resultsDocument } from './results.js';

/** Where a full run keeps its headline figures (committed, so changes show up in review). */
const RESULTS_FILE = new URL('./results.json', import.meta.url);

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  process.stdout.write(
    `cosjob benchmark${options.quick ? ' (--quick: rough figures)' : ''} — node ${process.version}, ` +
      `${process.platform}-${process.arch}\n` +
      'rate = median of repetitions; p50/p95 = latency per operation; ratio = this row against the named row\n\n',
  );
  const report = await runBench(options, {
    onStart: (suite) => process.stderr.write(`running ${suite}…\n`),
    onGroup: (group, index) => process.stdout.write(`${renderGroup(group, index)}\n\n`),
    onFailure: (suite, error) => {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`bench: suite ${suite} failed: ${detail}\n\n`);
    },
  });
  process.stdout.write(`finished in ${(report.durationMs / 1000).toFixed(1)} s\n`);

  if (options.jsonFile !== undefined) {
    mkdirSync(dirname(options.jsonFile), { recursive: true });
    writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`figures written to ${options.jsonFile}\n`);
  }
  // Only a full run of every suite replaces the committed figures; --quick and --only are partial.
  const resultsFile =
    options.resultsFile ?? (options.quick || options.only.length > 0 ? undefined : RESULTS_FILE.pathname);
  if (resultsFile !== undefined) {
    const params = options.quick ? QUICK_PARAMS : FULL_PARAMS;
    const document = resultsDocument(report, { stormJobs: params.app.stormJobs });
    mkdirSync(dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`headline figures written to ${resultsFile}\n`);
    process.stdout.write(`${renderHeadline(document)}\n`);
  }
  if (report.failures.length > 0) {
    process.stderr.write(
      `bench: ${report.failures.length} suite(s) failed: ${report.failures.map((f) => f.suite).join(', ')}\n`,
    );
    return 1;
  }
  return 0;
}

function renderHeadline(document: Record<string, unknown>): string {
  const targets = document.targets as Record<
    string,
    { target: string; value: number | null; met: boolean | null }
  >;
  const lines = ['headline figures (bench/results.json):'];
  for (const [key, value] of Object.entries(document)) {
    if (typeof value !== 'number' || !key.includes('.')) continue;
    const t = targets[key];
    const verdict = t === undefined ? '' : `  target ${t.target}: ${t.met ? 'met' : 'NOT met'}`;
    lines.push(`  ${key.padEnd(48)} ${String(value).padStart(10)}${verdict}`);
  }
  const missing = document.missingKeys as string[];
  if (missing.length > 0) lines.push(`  missing: ${missing.join(', ')}`);
  return lines.join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
