/**
 * 5. Decisions end to end: ApprovalEngine (claim, intent, COS call, result, audit) against the emulator
 * and a real redis-server, wired as test/helpers/engine-fixture.ts does.
 */
import { performance } from 'node:perf_hooks';
import type { DecisionOutcome } from '../../src/approvals/decision.js';
import { systemClock } from '../../src/clock.js';
import { CosJobsClient } from '../../src/cos/client.js';
import { outcomeText } from '../../src/decision-text.js';
import { silentLogger } from '../../src/logger.js';
import { waitForReady } from '../../src/redis/connection.js';
import { buildEngine, type EngineFixture } from '../../test/helpers/engine-fixture.js';
import { startEmulator } from '../../tools/emulator/server.js';
import { BENCH_ACCOUNT, BENCH_REGION, benchJobInput } from '../fixtures.js';
import { measure, measurementFromSamples } from '../harness.js';
import type { BenchParams } from '../params.js';
import { startBenchRedis } from '../redis.js';
import { type BenchGroup, compare, formatRatio, row } from '../report.js';

const READY_TIMEOUT_MS = 10_000;

function describeOutcome(jobId: string, outcome: DecisionOutcome): string {
  const text = outcomeText({ account: 'default', action: 'approve', region: BENCH_REGION, jobId }, outcome);
  return 'code' in outcome ? `${outcome.kind} (${outcome.code}): ${text}` : outcome.kind;
}

export async function runDecisionsBench(params: BenchParams): Promise<BenchGroup> {
  const p = params.decisions;
  const redis = await startBenchRedis('none');
  const emulator = await startEmulator({ accounts: [BENCH_ACCOUNT] });
  const client = new CosJobsClient({
    region: BENCH_REGION,
    appId: BENCH_ACCOUNT.appId,
    uin: BENCH_ACCOUNT.uin,
    credentials: { secretId: BENCH_ACCOUNT.secretId, secretKey: BENCH_ACCOUNT.secretKey },
    endpoint: emulator.url,
    logger: silentLogger,
  });
  const approverIds = Array.from({ length: Math.max(p.contentionClicks, 1) }, (_, i) => `UAPPROVER${i + 1}`);
  let fixture: EngineFixture | undefined;
  try {
    fixture = await buildEngine({
      redisUrl: redis.url,
      keyPrefix: redis.newPrefix(),
      clients: new Map([[BENCH_REGION, client]]),
      clock: systemClock,
      approverUserIds: approverIds,
      requiredApprovals: 1,
    });
    await waitForReady(fixture.redis, READY_TIMEOUT_MS);
    const { engine, records } = fixture;

    /** Suspended jobs the watcher would have announced: in the emulator and recorded by the engine. */
    const announce = async (count: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = emulator.store.createJob(BENCH_REGION, benchJobInput(), {
          status: 'Suspended',
          totalTasks: 1_200,
        }).id;
        const job = await client.describeJob(id);
        await records.createIfAbsent({ account: 'default', region: BENCH_REGION }, job, systemClock.now());
        ids.push(id);
      }
      return ids;
    };
    const click = (jobId: string, approverId: string) =>
      engine.decide({
        account: 'default',
        region: BENCH_REGION,
        jobId,
        action: 'approve',
        actor: { id: approverId, name: approverId.toLowerCase() },
        reason: 'copy before the migration',
        source: 'slack-button',
        requireAnnouncedJob: true,
      });

    let pending: string[] = [];
    const approveNext = async () => {
      const jobId = pending.pop();
      if (jobId === undefined) throw new Error('the decision benchmark ran out of announced jobs');
      const outcome = await click(jobId, approverIds[0] as string);
      if (outcome.kind !== 'approved')
        throw new Error(`approving job ${jobId} gave ${describeOutcome(jobId, outcome)}`);
    };
    const approveOptions = (concurrency: number) => ({
      iterations: p.jobs,
      concurrency,
      repetitions: p.repetitions,
      warmupIterations: Math.min(p.jobs, 20),
      beforeRun: async ({ operations }: { operations: number | undefined }) => {
        pending = await announce(operations ?? 0);
      },
    });
    const sequential = row(
      'decisions.approve.sequential',
      `approve ${p.jobs} announced jobs, one at a time`,
      await measure('approve sequential', approveNext, approveOptions(1)),
      { unit: 'decisions/s' },
    );
    const concurrent = row(
      'decisions.approve.concurrent',
      `approve ${p.jobs} announced jobs, ${p.concurrency} at a time`,
      await measure('approve concurrent', approveNext, approveOptions(p.concurrency)),
      { unit: 'decisions/s' },
    );
    compare(
      concurrent,
      sequential,
      'rate',
      (r) =>
        `${p.concurrency} decisions in flight complete ${formatRatio(r)} as many per second as one at a time; ` +
        'the audit chain serialises their appends.',
    );

    // Contention: every approver clicks Approve on the same job at the same moment.
    const winnerMs: number[] = [];
    const refusedMs: number[] = [];
    const winnerRates: number[] = [];
    const refusedRates: number[] = [];
    const refusalCodes: Record<string, number> = {};
    for (let round = -1; round < p.contentionRounds; round++) {
      const [jobId] = await announce(1);
      if (jobId === undefined) throw new Error('could not announce a job for the contention round');
      const started = performance.now();
      const results = await Promise.all(
        approverIds.slice(0, p.contentionClicks).map(async (approverId) => {
          const t0 = performance.now();
          const outcome = await click(jobId, approverId);
          return { outcome, ms: performance.now() - t0 };
        }),
      );
      const roundSeconds = (performance.now() - started) / 1000;
      const winners = results.filter((r) => r.outcome.kind === 'approved');
      const refused = results.filter((r) => r.outcome.kind === 'refused');
      if (winners.length !== 1) {
        throw new Error(
          `${winners.length} of ${results.length} simultaneous clicks approved job ${jobId}; exactly one must`,
        );
      }
      const odd = results.find((r) => r.outcome.kind !== 'approved' && r.outcome.kind !== 'refused');
      if (odd) throw new Error(`a simultaneous click gave ${describeOutcome(jobId, odd.outcome)}`);
      if (round < 0) continue; // warm-up round
      winnerMs.push(...winners.map((r) => r.ms));
      refusedMs.push(...refused.map((r) => r.ms));
      winnerRates.push(1 / roundSeconds);
      refusedRates.push(refused.length / roundSeconds);
      for (const r of refused) {
        const code = r.outcome.kind === 'refused' ? r.outcome.code : 'other';
        refusalCodes[code] = (refusalCodes[code] ?? 0) + 1;
      }
    }
    const winner = row(
      'decisions.contention.winner',
      `contention, ${p.contentionClicks} clicks on one job: the winner`,
      measurementFromSamples('contention winner', winnerMs, winnerRates, p.contentionClicks),
      { unit: 'decisions/s', headline: 'latency' },
    );
    const loser = row(
      'decisions.contention.refused',
      `contention, ${p.contentionClicks} clicks on one job: the refused`,
      measurementFromSamples('contention refused', refusedMs, refusedRates, p.contentionClicks),
      { unit: 'refusals/s', headline: 'latency', details: refusalCodes },
    );
    compare(
      loser,
      winner,
      'p50',
      (r) =>
        `a refused click is answered in ${formatRatio(r)} the winner's median time: it stops at the claim ` +
        `(${Object.entries(refusalCodes)
          .map(([code, count]) => `${code} ×${count}`)
          .join(
            ', ',
          )}) and audits the refusal, while the winner also re-reads the job, calls COS and writes intent and result.`,
    );
    return {
      id: 'decisions',
      title: 'Decisions end to end (src/approvals/engine.ts ApprovalEngine, emulator + redis-server)',
      rows: [sequential, concurrent, winner, loser],
      notes: [
        `Redis: ${redis.description}. One approval required; each job is announced (recorded) before timing.`,
        `Contention: ${p.contentionRounds} rounds after one warm-up round; latency per click from its start.`,
      ],
    };
  } finally {
    await fixture?.close();
    await client.close();
    await emulator.close();
    await redis.close();
  }
}
