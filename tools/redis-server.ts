/**
 * Real redis-server processes on a free loopback port, in a temporary directory, never outliving the
 * process that started them. Used by the tests, the demo and the benchmarks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedisServer {
  url: string;
  port: number;
  dir: string;
  /** The running process id, or undefined while stopped. */
  readonly pid: number | undefined;
  /** Resolves when the process has exited. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Same port and dir (AOF data survives when enabled). */
  restart(): Promise<void>;
  /** Kill + remove the temp dir. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  persistence?: 'none' | 'aof';
  /** Extra redis-server arguments, e.g. ['--requirepass', 'secret'] or ['--cluster-enabled', 'yes']. */
  extraArgs?: string[];
  /** Run a Sentinel (quorum 1) monitoring the master at 127.0.0.1:<port> under <name>, instead of a server. */
  sentinelFor?: { name: string; port: number };
}

const STARTUP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;

/** Every live server of this process, killed if the process exits without stopping them. */
const liveProcesses = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveProcesses) child.kill('SIGKILL');
});

export function redisTestsUseExternalServer(): boolean {
  return Boolean(process.env.REDIS_URL);
}

export const EXTERNAL_SERVER_SKIP_REASON =
  'REDIS_URL is set: this test kills or restarts its own redis-server and cannot do that to a shared one';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // +PONG, or -NOAUTH when a password is required: either way the server is answering.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A watchdog shell per server: if this test process dies without cleaning up (a worker killed by the
 * runner skips 'exit' handlers), the watchdog kills the server. It exits by itself once the server is gone.
 */
function startWatchdog(serverPid: number): void {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 1; done; ` +
    `if ! kill -0 ${process.pid} 2>/dev/null; then kill -9 ${serverPid} 2>/dev/null; fi`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

async function launch(port: number, dir: string, args: string[], leading: string[] = []): Promise<Running> {
  const child = spawn('redis-server', [...leading, '--port', String(port), ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveProcesses.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      liveProcesses.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  if (child.pid !== undefined) startWatchdog(child.pid);

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`could not run redis-server: ${spawnError.message}`);
    if (hasExited) throw new Error(`redis-server exited during start-up on port ${port}:\n${output}`);
    if (await pingOnce(port)) return { child, exited };
    await delay(25);
  }
  child.kill('SIGKILL');
  await exited;
  throw new Error(
    `redis-server did not answer PING within ${STARTUP_TIMEOUT_MS} ms on port ${port}:\n${output}`,
  );
}

export async function startRedisServer(options: StartRedisOptions = {}): Promise<TestRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cosjob-redis-'));
  // A Sentinel takes its (writable) config file as the first argument.
  const leading: string[] = [];
  if (options.sentinelFor) {
    const configFile = join(dir, 'sentinel.conf');
    const { name, port: masterPort } = options.sentinelFor;
    writeFileSync(configFile, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
    leading.push(configFile, '--sentinel');
  }
  const args = [
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.persistence === 'aof' ? 'yes' : 'no',
    ...(options.persistence === 'aof' ? ['--appendfsync', 'always'] : []),
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.extraArgs ?? []),
  ];

  let port = 0;
  let running: Running | undefined;
  let lastError: unknown;
  // Another process can take the port between picking it and binding it: pick again a few times.
  for (let attempt = 0; attempt < PORT_ATTEMPTS && running === undefined; attempt += 1) {
    port = await freePort();
    try {
      running = await launch(port, dir, args, leading);
    } catch (error) {
      lastError = error;
    }
  }
  if (running === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  let current: Running | undefined = running;
  const kill = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const target = current;
    current = undefined;
    if (target === undefined) return;
    target.child.kill(signal);
    await target.exited;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return current?.child.pid;
    },
    kill,
    async restart() {
      await kill('SIGKILL');
      let error: unknown;
      // The port was ours a moment ago; a brief retry covers a slow release.
      for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
        try {
          current = await launch(port, dir, args, leading);
          return;
        } catch (caught) {
          error = caught;
          await delay(100);
        }
      }
      throw error instanceof Error ? error : new Error(String(error));
    },
    async stop() {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
