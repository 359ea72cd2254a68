/**
 * `npm run bench`: performance figures measured side by side in one run, printed as a table.
 * Exits 0 whatever the figures; 1 only when a suite breaks, 2 on a usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BenchUsageError, parseBenchArgs, runBench, USAGE } from './bench.js';
import { renderGroup } from './report.js';

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
  if (report.failures.length > 0) {
    process.stderr.write(
      `bench: ${report.failures.length} suite(s) failed: ${report.failures.map((f) => f.suite).join(', ')}\n`,
    );
    return 1;
  }
  return 0;
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
