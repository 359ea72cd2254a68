/** Starts bench/emulator-peer.ts in a child process and talks to it (see that file for why). */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoggedRequest, PeerMessage, PeerRequest, PeerStats } from './emulator-peer.js';

const START_TIMEOUT_MS = 60_000;
const REPLY_TIMEOUT_MS = 5_000;

export interface EmulatorProcess {
  url: string;
  /** A Suspended job to describe. */
  jobId: string;
  /** Jobs in the emulator's region (all listable). */
  jobs: number;
  /** Of which Suspended (waiting for confirmation). */
  waiting: number;
  /** The emulator's own count of requests routed, all APIs. */
  totalRequests(): Promise<number>;
  /** Request counts per API and what UpdateJobStatus received. */
  stats(): Promise<PeerStats>;
  /** Authenticated requests from index `since` on, and the index to ask from next time. */
  log(since: number): Promise<{ entries: LoggedRequest[]; next: number }>;
  /** The ids of the Suspended jobs, in creation order. */
  waitingJobs(): Promise<string[]>;
  close(): Promise<void>;
}

function nextMessage<T extends PeerMessage['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<PeerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: PeerMessage) => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(`the emulator process failed: ${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<PeerMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the emulator process exited (code ${code}) before sending '${type}'`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the emulator process sent no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startEmulatorProcess(jobs: number, waiting = jobs): Promise<EmulatorProcess> {
  const entry = fileURLToPath(new URL('./emulator-peer.ts', import.meta.url));
  // tsx compiles the TypeScript entry; the parent may itself run under tsx or vitest, so say so explicitly.
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_EMULATOR_JOBS: String(jobs), BENCH_EMULATOR_WAITING: String(waiting) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ready: Extract<PeerMessage, { type: 'ready' }>;
  try {
    ready = await nextMessage(child, 'ready', START_TIMEOUT_MS);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const request = (message: PeerRequest) => child.send(message);
  return {
    url: ready.url,
    jobId: ready.jobId,
    jobs: ready.jobs,
    waiting: ready.waiting,
    async totalRequests() {
      const reply = nextMessage(child, 'stats', REPLY_TIMEOUT_MS);
      request({ type: 'stats' });
      return (await reply).totalRequests;
    },
    async stats() {
      const reply = nextMessage(child, 'stats', REPLY_TIMEOUT_MS);
      request({ type: 'stats' });
      const { type: _type, ...stats } = await reply;
      return stats;
    },
    async log(since: number) {
      const reply = nextMessage(child, 'log', REPLY_TIMEOUT_MS);
      request({ type: 'log', since });
      const { entries, next } = await reply;
      return { entries, next };
    },
    async waitingJobs() {
      const reply = nextMessage(child, 'waitingJobs', REPLY_TIMEOUT_MS);
      request({ type: 'waitingJobs' });
      return (await reply).ids;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      request({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), REPLY_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
