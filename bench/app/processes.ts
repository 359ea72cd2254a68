/**
 * cosjob and the bare Bolt app as child processes, driven from outside: environment in, HTTP and the
 * probe's IPC answers out (bench/probes/loop-probe.mjs), RSS from /proc.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { PollTiming } from '../../src/approvals/watcher.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = fileURLToPath(new URL('../probes/loop-probe.mjs', import.meta.url));
const BARE_BOLT = fileURLToPath(new URL('../bare-bolt.mjs', import.meta.url));
export const COSJOB_ENTRY = join(ROOT, 'dist', 'src', 'main.js');

const READY_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 10_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm run build` when dist/src/main.js is missing or older than a file under src/. Returns seconds spent. */
export function buildIfStale(): number {
  const started = performance.now();
  if (existsSync(COSJOB_ENTRY) && statSync(COSJOB_ENTRY).mtimeMs >= newestMtime(join(ROOT, 'src'))) return 0;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  return (performance.now() - started) / 1000;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ProbeSummary {
  from: number;
  to: number;
  coveredMs: number;
  cpuMs: number;
  /** Main-thread GC pauses in the windows the interval touches, and how many were full collections. */
  gcPauseMs: number;
  gcMajor: number;
  delaySamples: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

export interface AppProcess {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  /** Seconds from spawn to the first 200 from the readiness endpoint. */
  timeToReadyS: number;
  /** The endpoint that answered: '/readyz' when the app has one, else '/healthz'. */
  readyEndpoint: string;
  /** Resident set size from /proc/<pid>/status (the probe's own figure elsewhere), in MB. */
  rssMb(): Promise<number>;
  /** CPU time the process has used so far (user + system), from the probe. */
  cpuMs(): Promise<number>;
  /** Where the resident memory is, from process.memoryUsage() in the process, in MB. */
  memoryMb(): Promise<{ heapUsed: number; heapTotal: number; external: number }>;
  /** V8's heap spaces (size and used, MB), from v8.getHeapSpaceStatistics() in the process. */
  heapSpacesMb(): Promise<{ name: string; size: number; used: number }[]>;
  /** GC pauses on the main thread since start: total milliseconds and count (PerformanceObserver 'gc'). */
  gcPauses(): Promise<{ ms: number; count: number }>;
  /** Resident memory split as /proc/<pid>/status has it: anonymous (heap, malloc) and file-backed (the node binary, libraries), MB. */
  rssSplitMb(): { anon: number; file: number } | undefined;
  /** Starts the probe's windows (delay histogram and CPU per 100 ms); returns the probe's Date.now(). */
  record(): Promise<number>;
  summary(from: number, to: number): Promise<ProbeSummary>;
  /** The watcher's polls as it published them on `cosjob:poll` (start and end, Date.now()). */
  polls(): Promise<PollTiming[]>;
  /**
   * Turns the probe's event-loop delay timer on or off: off, a window's CPU holds none of the probe's
   * own wake-ups (and its lag figures read 0).
   */
  sampleLag(on: boolean): Promise<void>;
  /** Everything the process wrote, for the error when it dies. */
  output(): string;
  stop(): Promise<void>;
}

interface ProbeReply {
  probe: true;
  id: number;
  ok: boolean;
  error?: string;
  now?: number;
  rss?: number;
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
  cpuMs?: number;
  summary?: ProbeSummary;
  spaces?: { name: string; size: number; used: number }[];
  gcMs?: number;
  gcCount?: number;
  polls?: PollTiming[];
}

function readRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function waitReady(child: ChildProcess, baseUrl: string, output: () => string): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let readyzMissing = false;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the process exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    }
    for (const path of readyzMissing ? ['/healthz'] : ['/readyz', '/healthz']) {
      try {
        const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        if (response.status === 200) return path;
        // Bolt answers an unknown route with 404: this build has no /readyz, so stop asking for it.
        if (path === '/readyz' && response.status === 404) readyzMissing = true;
      } catch {
        // Not listening yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not ready within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

/**
 * The node options of package.json's `start` script (`node [options] dist/src/main.js`), so cosjob runs
 * here as `npm start` runs it (Dockerfile's CMD carries the same options).
 */
export function startScriptNodeOptions(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node')
    throw new Error(`package.json's start script does not run node: ${pkg.scripts?.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}

/** Forks `entry` with the probe preloaded and plain node (no tsx), waits until it answers HTTP. */
export async function startApp(
  name: string,
  entry: string,
  env: Record<string, string>,
  port: number,
  nodeOptions: readonly string[] = [],
): Promise<AppProcess> {
  let text = '';
  const started = performance.now();
  // BENCH_CPU_PROF_DIR=<dir>: each process also writes a V8 CPU profile there when it exits
  // (bench/profile-summary.ts reads them).
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const profile =
    profileDir === undefined || profileDir === ''
      ? []
      : [
          '--cpu-prof',
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-name=${name.replace(/\W+/g, '-')}-${Date.now()}.cpuprofile`,
        ];
  const child = fork(entry, [], {
    cwd: ROOT,
    execArgv: [...nodeOptions, '--import', PROBE, ...profile],
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const keep = (chunk: Buffer) => {
    // Keep the tail only: cosjob logs every poll at info level.
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  let readyEndpoint: string;
  try {
    readyEndpoint = await waitReady(child, baseUrl, () => text);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const timeToReadyS = (performance.now() - started) / 1000;

  let nextId = 1;
  const ask = (op: string, extra: Record<string, unknown> = {}): Promise<ProbeReply> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${name}: the probe did not answer '${op}' within ${PROBE_TIMEOUT_MS} ms`));
      }, PROBE_TIMEOUT_MS);
      const onMessage = (message: ProbeReply) => {
        if (message?.probe !== true || message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (message.ok) resolve(message);
        else reject(new Error(`${name}: probe: ${message.error}`));
      };
      child.on('message', onMessage);
      child.send({ probe: true, id, op, ...extra });
    });

  return {
    name,
    pid: child.pid ?? -1,
    port,
    baseUrl,
    timeToReadyS,
    readyEndpoint,
    async rssMb() {
      const fromProc = readRssMb(child.pid ?? -1);
      if (fromProc !== undefined) return fromProc;
      return ((await ask('usage')).rss ?? Number.NaN) / 1024 / 1024;
    },
    async cpuMs() {
      return (await ask('usage')).cpuMs ?? Number.NaN;
    },
    async memoryMb() {
      const usage = await ask('usage');
      const mb = (bytes: number | undefined) => (bytes ?? Number.NaN) / 1024 / 1024;
      return { heapUsed: mb(usage.heapUsed), heapTotal: mb(usage.heapTotal), external: mb(usage.external) };
    },
    async heapSpacesMb() {
      const mb = (bytes: number) => bytes / 1024 / 1024;
      return ((await ask('heap')).spaces ?? []).map((s) => ({
        name: s.name,
        size: mb(s.size),
        used: mb(s.used),
      }));
    },
    async gcPauses() {
      const reply = await ask('heap');
      return { ms: reply.gcMs ?? Number.NaN, count: reply.gcCount ?? Number.NaN };
    },
    rssSplitMb() {
      try {
        const status = readFileSync(`/proc/${child.pid ?? -1}/status`, 'utf8');
        const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1]);
        const anon = kb('RssAnon');
        const file = kb('RssFile');
        return Number.isFinite(anon) && Number.isFinite(file)
          ? { anon: anon / 1024, file: file / 1024 }
          : undefined;
      } catch {
        return undefined;
      }
    },
    async record() {
      return (await ask('record')).now ?? Date.now();
    },
    async summary(from, to) {
      const reply = await ask('summary', { from, to });
      if (!reply.summary) throw new Error(`${name}: the probe sent no summary`);
      return reply.summary;
    },
    async polls() {
      return (await ask('polls')).polls ?? [];
    },
    async sampleLag(on) {
      await ask('lag', { on });
    },
    output: () => text,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const BARE_BOLT_ENTRY = BARE_BOLT;
