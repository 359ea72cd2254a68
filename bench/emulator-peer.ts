/**
 * The COS emulator as a separate process for the benchmarks, so the server's work does not share the
 * client's event loop (the machine's second core serves it) and the client's overhead is not diluted by
 * the server's. Driven over the fork IPC channel; exits when the parent goes away.
 *
 * Seeding (environment): BENCH_EMULATOR_JOBS jobs in all, of which BENCH_EMULATOR_WAITING are Suspended
 * (default: all of them); the rest are finished jobs, which a ListJobs filtered on Suspended skips.
 */
import { startEmulator } from '../tools/emulator/server.js';
import { BENCH_ACCOUNT, BENCH_REGION, benchJobInput } from './fixtures.js';

export type PeerRequest =
  | { type: 'stats' }
  | { type: 'log'; since: number }
  | { type: 'waitingJobs' }
  | { type: 'close' };

/** One authenticated request: [API name, Date.now() when its effect was applied]. */
export type LoggedRequest = [api: string, at: number];

export interface PeerStats {
  totalRequests: number;
  requests: Record<string, number>;
  /** UpdateJobStatus calls that passed authentication, per requested status. */
  statusUpdates: number;
  /** Jobs that received more than one UpdateJobStatus request to the same status. */
  duplicateJobs: number;
  /** UpdateJobStatus requests beyond the first per job and requested status. */
  duplicateCalls: number;
}

export type PeerMessage =
  | { type: 'ready'; url: string; jobId: string; jobs: number; waiting: number }
  | ({ type: 'stats' } & PeerStats)
  | { type: 'log'; entries: LoggedRequest[]; next: number }
  | { type: 'waitingJobs'; ids: string[] }
  | { type: 'error'; message: string };

const FINISHED_STATUSES = ['Complete', 'Cancelled', 'Failed'] as const;

function send(message: PeerMessage): void {
  process.send?.(message);
}

function wholeNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number >= 1, got ${raw}`);
  return value;
}

async function main(): Promise<void> {
  const jobs = wholeNumber('BENCH_EMULATOR_JOBS', 150);
  const waiting = Math.min(jobs, wholeNumber('BENCH_EMULATOR_WAITING', jobs));
  const emulator = await startEmulator({ accounts: [BENCH_ACCOUNT] });
  const log: LoggedRequest[] = [];
  emulator.setHook(async ({ api }) => {
    log.push([api, Date.now()]);
  });
  const waitingIds: string[] = [];
  // Waiting and finished jobs are spread evenly, as in a real account's listing: job i waits when the
  // running share floor(i * waiting / jobs) steps up, which picks exactly `waiting` of them.
  for (let i = 0; i < jobs; i++) {
    if (Math.floor(((i + 1) * waiting) / jobs) > Math.floor((i * waiting) / jobs)) {
      const job = emulator.store.createJob(BENCH_REGION, benchJobInput(), {
        status: 'Suspended',
        // The first waiting job is the large one the client benchmark describes.
        totalTasks: waitingIds.length === 0 ? 25_000 : 1_200,
      });
      waitingIds.push(job.id);
    } else {
      const status = FINISHED_STATUSES[i % FINISHED_STATUSES.length] ?? 'Complete';
      emulator.store.createJob(BENCH_REGION, benchJobInput(), { status, totalTasks: 1_200 });
    }
  }
  const first = waitingIds[0] as string;
  const stats = (): PeerStats => {
    const perTarget = new Map<string, number>();
    for (const update of emulator.stats.statusUpdates) {
      const key = `${update.region}|${update.jobId}|${update.requested}`;
      perTarget.set(key, (perTarget.get(key) ?? 0) + 1);
    }
    const repeated = [...perTarget.values()].filter((n) => n > 1);
    return {
      totalRequests: emulator.stats.totalRequests,
      requests: { ...emulator.stats.requests },
      statusUpdates: emulator.stats.statusUpdates.length,
      duplicateJobs: repeated.length,
      duplicateCalls: repeated.reduce((sum, n) => sum + n - 1, 0),
    };
  };
  const stop = () => {
    emulator.close().finally(() => process.exit(0));
  };
  process.on('message', (message: PeerRequest) => {
    if (message.type === 'stats') send({ type: 'stats', ...stats() });
    else if (message.type === 'log')
      send({ type: 'log', entries: log.slice(message.since), next: log.length });
    else if (message.type === 'waitingJobs') send({ type: 'waitingJobs', ids: waitingIds });
    else if (message.type === 'close') stop();
  });
  process.on('disconnect', stop);
  send({ type: 'ready', url: emulator.url, jobId: first, jobs, waiting: waitingIds.length });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
