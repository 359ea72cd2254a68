import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  startRedisServer,
  type TestRedisServer,
} from '../helpers/redis.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { protocol: 2, maxRetriesPerRequest: 0, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

describe('test redis-server harness', () => {
  beforeEach((ctx) => ctx.skip(redisTestsUseExternalServer(), EXTERNAL_SERVER_SKIP_REASON));
  const started: TestRedisServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.stop()));
  });

  async function start(options?: Parameters<typeof startRedisServer>[0]): Promise<TestRedisServer> {
    const server = await startRedisServer(options);
    started.push(server);
    return server;
  }

  it('starts a server on a loopback port that answers commands', async () => {
    const server = await start();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(existsSync(server.dir)).toBe(true);
    const pong = await withClient(server.url, (client) => client.ping());
    expect(pong).toBe('PONG');
  });

  it('gives each server its own port and directory', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a!.port).not.toBe(b!.port);
    expect(a!.dir).not.toBe(b!.dir);
  });

  it('kill() resolves once the process has exited', async () => {
    const server = await start();
    const pid = server.pid!;
    expect(isAlive(pid)).toBe(true);
    await server.kill('SIGKILL');
    expect(isAlive(pid)).toBe(false);
    expect(server.pid).toBeUndefined();
    await server.kill(); // a second kill is a no-op
  });

  it('keeps data across a SIGKILL and restart when AOF is on', async () => {
    const server = await start({ persistence: 'aof' });
    await withClient(server.url, async (client) => {
      await client.set('harness:kept', 'yes');
      await client.xadd('harness:stream', '*', 'f', 'v');
    });
    await server.kill('SIGKILL');
    await server.restart();
    const [value, length] = await withClient(server.url, (client) =>
      Promise.all([client.get('harness:kept'), client.xlen('harness:stream')]),
    );
    expect(value).toBe('yes');
    expect(length).toBe(1);
  });

  it('loses data across a restart without persistence (so the AOF test above means something)', async () => {
    const server = await start({ persistence: 'none' });
    await withClient(server.url, (client) => client.set('harness:lost', 'yes'));
    await server.restart();
    const value = await withClient(server.url, (client) => client.get('harness:lost'));
    expect(value).toBeNull();
  });

  it('passes extra arguments to redis-server', async () => {
    const server = await start({ extraArgs: ['--requirepass', 'harness-password'] });
    // Without the password the server refuses the connection's handshake.
    await expect(withClient(server.url, (client) => client.ping())).rejects.toThrow();
    const pong = await withClient(`redis://:harness-password@127.0.0.1:${server.port}`, (client) =>
      client.ping(),
    );
    expect(pong).toBe('PONG');
  });

  it('stop() kills the process and removes the directory', async () => {
    const server = await startRedisServer();
    const pid = server.pid!;
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });
});
