/**
 * The COS emulator as a separate process for the client benchmark, so the server's work does not share
 * the client's event loop (the machine's second core serves it) and the client's overhead is not
 * diluted by the server's. Driven over the fork IPC channel; exits when the parent goes away.
 */
import { startEmulator } from '../tools/emulator/server.js';
import { BENCH_ACCOUNT, BENCH_REGION, benchJobInput } from './fixtures.js';

export type PeerRequest = { type: 'stats' } | { type: 'close' };
export type PeerMessage =
  | { type: 'ready'; url: string; jobId: string; jobs: number }
  | { type: 'stats'; totalRequests: number }
  | { type: 'error'; message: string };

function send(message: PeerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const jobs = Number(process.env.BENCH_EMULATOR_JOBS ?? '150');
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new Error(`BENCH_EMULATOR_JOBS must be a whole number >= 1, got ${jobs}`);
  const emulator = await startEmulator({ accounts: [BENCH_ACCOUNT] });
  const first = emulator.store.createJob(BENCH_REGION, benchJobInput(), {
    status: 'Suspended',
    totalTasks: 25_000,
  });
  for (let i = 1; i < jobs; i++) {
    emulator.store.createJob(BENCH_REGION, benchJobInput(), { status: 'Suspended', totalTasks: 1_200 });
  }
  const stop = () => {
    emulator.close().finally(() => process.exit(0));
  };
  process.on('message', (message: PeerRequest) => {
    if (message.type === 'stats') send({ type: 'stats', totalRequests: emulator.stats.totalRequests });
    else if (message.type === 'close') stop();
  });
  process.on('disconnect', stop);
  send({ type: 'ready', url: emulator.url, jobId: first.id, jobs });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
