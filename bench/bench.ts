/** The benchmark as a library: option parsing, the suite registry and a runner (bench/run.ts is the CLI). */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type BenchParams, FULL_PARAMS, QUICK_PARAMS } from './params.js';
import type { BenchGroup, BenchReport, SuiteId } from './report.js';
import { runAppBench } from './suites/app.js';
import { runAuditBench } from './suites/audit.js';
import { runBlocksBench } from './suites/blocks.js';
import { runBurstBench } from './suites/burst.js';
import { runCosBench } from './suites/cos-client.js';
import { runDecisionsBench } from './suites/decisions.js';
import { runSigningBench } from './suites/signing.js';
import { runXmlBench } from './suites/xml.js';

export interface Suite {
  id: SuiteId;
  run(params: BenchParams): Promise<BenchGroup>;
}

/** In the brief's order; `--only` names these ids. */
export const SUITES: readonly Suite[] = [
  { id: 'signing', run: runSigningBench },
  { id: 'xml', run: runXmlBench },
  { id: 'cos', run: runCosBench },
  { id: 'audit', run: runAuditBench },
  { id: 'decisions', run: runDecisionsBench },
  { id: 'blocks', run: runBlocksBench },
  { id: 'app', run: runAppBench },
  { id: 'burst', run: runBurstBench },
];

export const SUITE_IDS: readonly SuiteId[] = SUITES.map((s) => s.id);

export interface BenchOptions {
  quick: boolean;
  only: SuiteId[];
  jsonFile?: string;
  /** Where the headline figures go (default bench/results.json on a full run of every suite). */
  resultsFile?: string;
  help: boolean;
}

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only <suite>[,<suite>...]] [--json <file>]

  --quick         fewer and shorter repetitions (a smoke run; figures are rough)
  --only <names>  run only these suites: ${SUITE_IDS.join(', ')} (repeatable or comma-separated)
  --json <file>   also write every figure to <file> as JSON
  --results <file> write the headline figures there (default: bench/results.json after a full run)
  --help          show this text`;

function isSuiteId(value: string): value is SuiteId {
  return (SUITE_IDS as readonly string[]).includes(value);
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { quick: false, only: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '' || (inline === undefined && next.startsWith('--'))) {
        throw new BenchUsageError(`${flag} needs a value`);
      }
      return next;
    };
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--json':
        options.jsonFile = value();
        break;
      case '--results':
        options.resultsFile = value();
        break;
      case '--only':
        for (const name of value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (!isSuiteId(name)) {
            throw new BenchUsageError(
              `unknown suite "${name}" for --only; choose from ${SUITE_IDS.join(', ')}`,
            );
          }
          if (!options.only.includes(name)) options.only.push(name);
        }
        break;
      default:
        throw new BenchUsageError(`unknown option "${arg}"`);
    }
  }
  return options;
}

export interface RunHooks {
  onGroup?: (group: BenchGroup, index: number) => void;
  onFailure?: (suite: SuiteId, error: unknown) => void;
  onStart?: (suite: SuiteId) => void;
}

/** Runs the selected suites one after another; a failing suite is recorded and the others still run. */
export async function runBench(
  options: Pick<BenchOptions, 'quick' | 'only'>,
  hooks: RunHooks = {},
  params: BenchParams = options.quick ? QUICK_PARAMS : FULL_PARAMS,
): Promise<BenchReport> {
  const started = performance.now();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    quick: options.quick,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    durationMs: 0,
    groups: [],
    failures: [],
  };
  const selected = options.only.length === 0 ? SUITES : SUITES.filter((s) => options.only.includes(s.id));
  for (const suite of selected) {
    hooks.onStart?.(suite.id);
    try {
      const group = await suite.run(params);
      report.groups.push(group);
      hooks.onGroup?.(group, SUITES.indexOf(suite) + 1);
    } catch (error) {
      report.failures.push({
        suite: suite.id,
        error: error instanceof Error ? error.message : String(error),
      });
      hooks.onFailure?.(suite.id, error);
    }
  }
  report.durationMs = performance.now() - started;
  return report;
}
