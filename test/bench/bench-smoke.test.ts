/**
 * The benchmark runs end to end with --quick-sized parameters and produces every expected row with
 * finite, positive figures. No timing thresholds: how fast things are is what `npm run bench` prints.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchArgs, runBench, SUITE_IDS } from '../../bench/bench.js';
import { measure, percentile } from '../../bench/harness.js';
import { QUICK_PARAMS } from '../../bench/params.js';
import { type BenchReport, type BenchRow, renderGroup } from '../../bench/report.js';
import { REQUIRED_KEYS, resultsDocument } from '../../bench/results.js';
import { cycles } from '../../bench/suites/app.js';

const EXPECTED_ROWS: Record<string, string[]> = {
  signing: ['signing.cosAuthorization', 'signing.hmacSha1'],
  xml: [
    'xml.describeJob.mapped',
    'xml.describeJob.raw',
    'xml.listJobs.mapped',
    'xml.listJobs.remembered',
    'xml.listJobs.raw',
  ],
  cos: [
    ...['describeJob', 'listJobs'].flatMap((api) =>
      ['c1', 'c16'].flatMap((c) => ['client', 'undici', 'fetch'].map((peer) => `cos.${api}.${c}.${peer}`)),
    ),
    'cos.emulator.served',
  ],
  audit: [
    'audit.append.sha256.none.c1',
    'audit.append.hmac.none.c1',
    'audit.append.sha256.none.c4',
    'audit.append.sha256.aof.c1',
    'audit.append.sha256.aof.c4',
    'audit.verify.global',
  ],
  decisions: [
    'decisions.approve.sequential',
    'decisions.approve.concurrent',
    'decisions.contention.winner',
    'decisions.contention.refused',
  ],
  blocks: ['blocks.jobCard', 'blocks.jobCard.json', 'blocks.auditTrailMessage', 'blocks.auditEntryLines'],
  app: [
    'app.clickStorm.bare',
    'app.clickStorm.cosjob',
    'app.clickStorm.clickToCard',
    'app.discovery.clicksDuringFirstCycle',
    'app.discovery.steadyCycle',
  ],
  burst: ['burst.all_actionable_s'],
};

/** Rows without a comparison are the baselines others are compared with. */
const BASELINES = new Set([
  'signing.hmacSha1',
  'xml.describeJob.raw',
  'xml.listJobs.raw',
  'audit.append.sha256.none.c1',
  'decisions.approve.sequential',
  'decisions.contention.winner',
  'blocks.jobCard.json',
  'blocks.auditEntryLines',
  'burst.all_actionable_s',
  'app.clickStorm.bare',
  ...['describeJob', 'listJobs'].flatMap((api) => ['c1', 'c16'].map((c) => `cos.${api}.${c}.undici`)),
]);

const finitePositive = (value: number) => Number.isFinite(value) && value > 0;

describe('bench options', () => {
  it('parses --quick, --only (repeatable, comma-separated) and --json', () => {
    expect(parseBenchArgs(['--quick', '--only', 'xml,cos', '--only=audit', '--json', 'out/r.json'])).toEqual({
      quick: true,
      only: ['xml', 'cos', 'audit'],
      jsonFile: 'out/r.json',
      help: false,
    });
    expect(parseBenchArgs([])).toEqual({ quick: false, only: [], help: false });
  });

  it('refuses unknown suites and options, and flags without their value, naming the problem', () => {
    expect(() => parseBenchArgs(['--only', 'sign'])).toThrow(/unknown suite "sign".*signing, xml, cos/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--json'])).toThrow(/--json needs a value/);
    expect(() => parseBenchArgs(['--only', '--quick'])).toThrow(/--only needs a value/);
  });
});

describe('measure', () => {
  it('runs exactly the requested operations per repetition, at most `concurrency` at a time', async () => {
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const workers = new Set<number>();
    const runs: string[] = [];
    const m = await measure(
      'counting',
      async (_index, worker) => {
        calls++;
        workers.add(worker);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
      },
      {
        iterations: 30,
        concurrency: 3,
        repetitions: 2,
        warmupIterations: 4,
        beforeRun: (run) => {
          runs.push(`${run.phase}:${run.repetition}:${run.operations}`);
        },
      },
    );
    expect(calls).toBe(4 + 2 * 30);
    expect(m.operations).toBe(60);
    expect(m.latencySamples).toBe(60);
    expect(maxInFlight).toBe(3);
    expect([...workers].sort()).toEqual([0, 1, 2]);
    expect(runs).toEqual(['warmup:0:4', 'measure:0:30', 'measure:1:30']);
    expect(m.opsPerSecRuns).toHaveLength(2);
    expect(finitePositive(m.opsPerSec)).toBe(true);
    expect(m.latencyMs.p50).toBeLessThanOrEqual(m.latencyMs.p95);
  });

  it('batches fast synchronous functions and still counts every call', async () => {
    let calls = 0;
    const m = await measure('sync', () => calls++, { durationMs: 5, repetitions: 2, warmupMs: 2 });
    expect(m.latencyKind).toBe('batch');
    expect(m.operations).toBeGreaterThan(m.latencySamples);
    expect(calls).toBeGreaterThan(m.operations);
  });

  it('rejects contradictory options with the reason', async () => {
    await expect(measure('bad', () => 0, { iterations: 5, durationMs: 5 })).rejects.toThrow(
      /exactly one of iterations or durationMs/,
    );
    await expect(measure('bad', () => 0, { iterations: 0 })).rejects.toThrow(/iterations must be/);
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('poll cycles from the emulator request log', () => {
  it('ends the first cycle once every waiting job is described and starts each later one at a ListJobs after another call or a pause', () => {
    const log: [string, number][] = [];
    let t = 0;
    const add = (api: string, n = 1) => {
      for (let i = 0; i < n; i++) {
        t += 1;
        log.push([api, t]);
      }
    };
    // First cycle, 3 waiting jobs over two pages, then discovery describes each, then a click decides one.
    add('ListJobs', 2);
    add('DescribeJob', 3);
    add('UpdateJobStatus'); // a click's decision: not the watcher's, never a boundary
    add('DescribeJob'); // follow-up of the decided job, which left the waiting list
    // A steady cycle: two pages back to back, the decided job described.
    t += 1_000;
    add('ListJobs', 2);
    add('DescribeJob');
    // Two quiet cycles: one page each, nothing described; only the pause separates them.
    t += 1_000;
    add('ListJobs');
    t += 1_000;
    add('ListJobs');
    const found = cycles(log, 3);
    expect(found.map((c) => c.byApi)).toEqual([
      { ListJobs: 2, DescribeJob: 4 },
      { ListJobs: 2, DescribeJob: 1 },
      { ListJobs: 1 },
      { ListJobs: 1 },
    ]);
    expect(found.map((c) => c.requests)).toEqual([6, 3, 1, 1]);
  });
});

describe('npm run bench --quick', () => {
  let report: BenchReport;
  let rows: Map<string, BenchRow>;

  beforeAll(async () => {
    report = await runBench({ quick: true, only: [] }, {}, QUICK_PARAMS);
    rows = new Map(report.groups.flatMap((g) => g.rows.map((r) => [r.id, r] as const)));
  }, 120_000);

  it('runs every suite without failures, in the brief order', () => {
    expect(report.failures).toEqual([]);
    expect(report.groups.map((g) => g.id)).toEqual([...SUITE_IDS]);
  });

  it.each(Object.entries(EXPECTED_ROWS))('%s produces exactly its expected rows', (suite, ids) => {
    const group = report.groups.find((g) => g.id === suite);
    // With REDIS_URL and no local redis-server the AOF rows are skipped, and the notes must say so.
    const aofSkipped = group?.notes.some((n) => n.startsWith('AOF rows skipped')) ?? false;
    const expected = aofSkipped ? ids.filter((id) => !id.includes('.aof.')) : ids;
    expect(group?.rows.map((r) => r.id)).toEqual(expected);
  });

  it('gives every row a finite positive rate and latency percentiles', () => {
    for (const r of rows.values()) {
      const m = r.measurement;
      expect({ id: r.id, rate: finitePositive(r.rate) }).toEqual({ id: r.id, rate: true });
      expect({
        id: r.id,
        p50: finitePositive(m.latencyMs.p50),
        p95: finitePositive(m.latencyMs.p95),
      }).toEqual({
        id: r.id,
        p50: true,
        p95: true,
      });
      expect(m.latencyMs.p50).toBeLessThanOrEqual(m.latencyMs.p95);
      expect(m.operations).toBeGreaterThan(0);
    }
  });

  it('compares every non-baseline row with a row of the same run, with a finite ratio and a meaning', () => {
    for (const r of rows.values()) {
      if (BASELINES.has(r.id)) {
        expect({ id: r.id, comparison: r.comparison }).toEqual({ id: r.id, comparison: undefined });
        continue;
      }
      const c = r.comparison;
      expect(c, r.id).toBeDefined();
      expect(rows.has(c?.baselineId ?? ''), r.id).toBe(true);
      expect(finitePositive(c?.ratio ?? Number.NaN), r.id).toBe(true);
      expect(c?.meaning.length ?? 0, r.id).toBeGreaterThan(20);
    }
  });

  it('reports what the measurements actually covered', () => {
    expect(rows.get('audit.verify.global')?.details?.entries).toBeGreaterThanOrEqual(
      QUICK_PARAMS.audit.verifyEntries,
    );
    const refused = rows.get('decisions.contention.refused');
    const refusals = Object.values(refused?.details ?? {}).reduce<number>((sum, n) => sum + Number(n), 0);
    // Every click but the winner's is refused, in every round.
    expect(refusals).toBe(
      QUICK_PARAMS.decisions.contentionRounds * (QUICK_PARAMS.decisions.contentionClicks - 1),
    );
    expect(rows.get('decisions.contention.winner')?.measurement.operations).toBe(
      QUICK_PARAMS.decisions.contentionRounds,
    );
    expect(rows.get('decisions.approve.sequential')?.measurement.operations).toBe(
      QUICK_PARAMS.decisions.jobs * QUICK_PARAMS.decisions.repetitions,
    );
    expect(Number(rows.get('cos.emulator.served')?.details?.requestsCounted)).toBeGreaterThan(0);
  });

  it('produces every headline key of bench/results.json as a number, with the machine it ran on', () => {
    const document = resultsDocument(report, { stormJobs: QUICK_PARAMS.app.stormJobs });
    expect(document.missingKeys).toEqual([]);
    for (const key of REQUIRED_KEYS) {
      expect({ key, type: typeof document[key] }).toEqual({ key, type: 'number' });
      expect({ key, finite: Number.isFinite(document[key]) }).toEqual({ key, finite: true });
    }
    expect(document.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
  });

  it('counts what cosjob did from outside: one UpdateJobStatus per job, no duplicate, every card updated', () => {
    const document = resultsDocument(report, { stormJobs: QUICK_PARAMS.app.stormJobs });
    expect(document['click_storm.update_job_status_calls']).toBe(QUICK_PARAMS.app.stormJobs);
    expect(document['click_storm.duplicates']).toBe(0);
    expect(document['click_storm.cards_without_update']).toBe(0);
    expect(document['click_storm.clicks']).toBe(QUICK_PARAMS.app.stormJobs * QUICK_PARAMS.app.approvers);
    // A steady cycle lists at least one page and describes only tracked jobs that left the waiting list:
    // the discovery clicks all land on one job, so at most that one (none once it has finished).
    expect(Number(document['discovery.steady_cycle_describe_job_calls'])).toBeLessThanOrEqual(1);
    expect(Number(document['discovery.steady_cycle_list_jobs_calls'])).toBeGreaterThanOrEqual(1);
    expect(Number(document['discovery.steady_cycle_cos_calls'])).toBeLessThanOrEqual(
      Number(document['discovery.steady_cycle_cos_calls_target']),
    );
  });

  it('prints each group as a table with one explanation line per compared row', () => {
    report.groups.forEach((group, i) => {
      const text = renderGroup(group, i + 1);
      for (const r of group.rows) expect(text).toContain(r.label);
      const explained = text.split('\n').filter((line) => line.trimStart().startsWith('↳'));
      expect(explained).toHaveLength(group.rows.filter((r) => r.comparison).length);
    });
  });
});
