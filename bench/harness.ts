/**
 * A deliberately tiny benchmark harness: warm-up, several repetitions, the median of their ops/s and
 * latency percentiles. No benchmark library: the numbers must be explainable from this one file.
 *
 * Why medians: on a shared 2-core machine one repetition is often disturbed by another process; the
 * median of five ignores up to two bad ones without hiding a real difference.
 */
import { performance } from 'node:perf_hooks';

export interface RunContext {
  phase: 'warmup' | 'measure';
  /** 0-based repetition number (0 during warm-up). */
  repetition: number;
  /** Operations this run will perform when it is iteration-based; undefined when it is timed. */
  operations: number | undefined;
}

export interface MeasureOptions {
  /** Operations per repetition, all workers together. Give this or durationMs. */
  iterations?: number;
  /** Length of each repetition (the last operations started may finish a little later). */
  durationMs?: number;
  /** Operations in flight at once; only meaningful for asynchronous functions. Default 1. */
  concurrency?: number;
  /** Measured repetitions; ops/s is their median. Default 5. */
  repetitions?: number;
  /** Unmeasured warm-up before the first repetition, in milliseconds (timed runs). Default 200. */
  warmupMs?: number;
  /** Unmeasured warm-up operations (iteration-based runs). Default: a tenth of `iterations`, at least 1. */
  warmupIterations?: number;
  /** Called, unmeasured, before the warm-up and before each repetition (e.g. to create fresh jobs). */
  beforeRun?: (run: RunContext) => void | Promise<void>;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export interface Measurement {
  name: string;
  /** Median over repetitions of operations per second. */
  opsPerSec: number;
  /** Each repetition's operations per second, in run order. */
  opsPerSecRuns: number[];
  /**
   * Milliseconds per operation, pooled over all repetitions. In timed runs of fast synchronous functions
   * these are means of batches of about 100 µs (timing each call would cost as much as the call).
   */
  latencyMs: LatencySummary;
  /** Operations measured (warm-up excluded). */
  operations: number;
  concurrency: number;
  repetitions: number;
  /** How many latency samples the percentiles come from. */
  latencySamples: number;
  /** 'batch' when latencies are batch means of a synchronous function. */
  latencyKind: 'per-operation' | 'batch';
}

/** The operation under test: `index` counts operations within a run, `worker` is 0..concurrency-1. */
export type Operation = (index: number, worker: number) => unknown;

const DEFAULT_REPETITIONS = 5;
const DEFAULT_WARMUP_MS = 200;
/** Target length of one timed batch for synchronous functions. */
const SYNC_BATCH_TARGET_MS = 0.1;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Nearest-rank percentile of an ascending array; NaN for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summariseLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

interface RunResult {
  operations: number;
  elapsedMs: number;
}

interface RunPlan {
  iterations: number | undefined;
  durationMs: number | undefined;
  concurrency: number;
  /** Operations between two clock reads; above 1 only for synchronous functions. */
  batch: number;
  /** Latency samples go here; undefined during warm-up. */
  samples: number[] | undefined;
}

async function runOnce(fn: Operation, plan: RunPlan): Promise<RunResult> {
  const { iterations, durationMs, concurrency, batch, samples } = plan;
  const started = performance.now();
  const deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : started + durationMs;
  let nextIndex = 0;
  let completed = 0;

  const hasBudget = (now: number) =>
    (iterations === undefined || nextIndex < iterations) && (iterations !== undefined || now < deadline);

  const worker = async (workerIndex: number) => {
    let now = performance.now();
    while (hasBudget(now)) {
      const count = iterations === undefined ? batch : Math.min(batch, iterations - nextIndex);
      const first = nextIndex;
      nextIndex += count;
      const t0 = now;
      for (let i = 0; i < count; i++) {
        const result = fn(first + i, workerIndex);
        if (isThenable(result)) await result;
      }
      now = performance.now();
      completed += count;
      samples?.push((now - t0) / count);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  return { operations: completed, elapsedMs: performance.now() - started };
}

/** How many calls of a synchronous `fn` fill about SYNC_BATCH_TARGET_MS; 1 for asynchronous ones. */
async function calibrateBatch(fn: Operation): Promise<number> {
  const first = fn(0, 0);
  if (isThenable(first)) {
    await first;
    return 1;
  }
  // The fastest of several short trials: one trial can be stretched by the process being descheduled on a
  // busy machine, which would make a nanosecond function look slow and turn batching off.
  let calls = 1;
  let perCall = Number.POSITIVE_INFINITY;
  for (let trial = 0; trial < 5; trial++) {
    const t0 = performance.now();
    const start = calls;
    while (performance.now() - t0 < 1 && calls - start < 20_000) {
      fn(calls, 0);
      calls++;
    }
    perCall = Math.min(perCall, (performance.now() - t0) / (calls - start || 1));
  }
  return Math.max(1, Math.min(10_000, Math.round(SYNC_BATCH_TARGET_MS / Math.max(perCall, 1e-6))));
}

function validate(name: string, options: MeasureOptions): void {
  const problems: string[] = [];
  const { iterations, durationMs, concurrency = 1, repetitions = DEFAULT_REPETITIONS } = options;
  if ((iterations === undefined) === (durationMs === undefined)) {
    problems.push('give exactly one of iterations or durationMs');
  }
  if (iterations !== undefined && !(Number.isInteger(iterations) && iterations >= 1)) {
    problems.push(`iterations must be a whole number >= 1, got ${iterations}`);
  }
  if (durationMs !== undefined && !(durationMs > 0))
    problems.push(`durationMs must be > 0, got ${durationMs}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    problems.push(`concurrency must be a whole number >= 1, got ${concurrency}`);
  }
  if (!(Number.isInteger(repetitions) && repetitions >= 1)) {
    problems.push(`repetitions must be a whole number >= 1, got ${repetitions}`);
  }
  if (problems.length > 0) throw new RangeError(`measure("${name}"): ${problems.join('; ')}`);
}

/**
 * Runs `fn` repeatedly and reports the median ops/s over `repetitions` and latency percentiles.
 * Iteration-based runs (`iterations`) perform exactly that many operations per repetition, which suits
 * operations that consume something (a job can be approved once); timed runs suit everything else.
 */
export async function measure(name: string, fn: Operation, options: MeasureOptions): Promise<Measurement> {
  validate(name, options);
  const concurrency = options.concurrency ?? 1;
  const repetitions = options.repetitions ?? DEFAULT_REPETITIONS;
  const iterations = options.iterations;
  const durationMs = options.durationMs;

  const warmupIterations =
    iterations === undefined
      ? undefined
      : (options.warmupIterations ?? Math.max(1, Math.floor(iterations / 10)));
  await options.beforeRun?.({ phase: 'warmup', repetition: 0, operations: warmupIterations });
  let batch = 1;
  if (warmupIterations === undefined) {
    await runOnce(fn, {
      iterations: undefined,
      durationMs: options.warmupMs ?? DEFAULT_WARMUP_MS,
      concurrency,
      batch,
      samples: undefined,
    });
    // Calibrated once warm, so the JIT has done its work. Iteration-based runs are never batched: their
    // operations are usually consumable (index i is used once per run) and slow enough to time singly.
    if (concurrency === 1) batch = await calibrateBatch(fn);
  } else {
    await runOnce(fn, {
      iterations: warmupIterations,
      durationMs: undefined,
      concurrency,
      batch,
      samples: undefined,
    });
  }

  const samples: number[] = [];
  const opsPerSecRuns: number[] = [];
  let operations = 0;
  for (let repetition = 0; repetition < repetitions; repetition++) {
    await options.beforeRun?.({ phase: 'measure', repetition, operations: iterations });
    const result = await runOnce(fn, { iterations, durationMs, concurrency, batch, samples });
    operations += result.operations;
    opsPerSecRuns.push(result.operations / (result.elapsedMs / 1000));
  }
  return {
    name,
    opsPerSec: median(opsPerSecRuns),
    opsPerSecRuns,
    latencyMs: summariseLatencies(samples),
    operations,
    concurrency,
    repetitions,
    latencySamples: samples.length,
    latencyKind: batch > 1 ? 'batch' : 'per-operation',
  };
}

/**
 * A Measurement from latencies collected elsewhere (e.g. one burst of concurrent clicks per round):
 * `opsPerSecRuns` are the per-round rates the caller computed.
 */
export function measurementFromSamples(
  name: string,
  samples: readonly number[],
  opsPerSecRuns: readonly number[],
  concurrency: number,
): Measurement {
  return {
    name,
    opsPerSec: median(opsPerSecRuns),
    opsPerSecRuns: [...opsPerSecRuns],
    latencyMs: summariseLatencies(samples),
    operations: samples.length,
    concurrency,
    repetitions: opsPerSecRuns.length,
    latencySamples: samples.length,
    latencyKind: 'per-operation',
  };
}
