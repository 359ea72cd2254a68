import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RedisConfig } from '../../src/config/index.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import {
  closeRedis,
  createRedis,
  parseRedisUrl,
  type RedisClient,
  RedisNotReadyError,
  RedisUrlError,
  redactRedisUrl,
  redisOptionsFor,
  waitForReady,
} from '../../src/redis/connection.js';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  startRedisServer,
  type TestRedisServer,
} from '../helpers/redis.js';

function config(url: string, extra: Partial<RedisConfig> = {}): RedisConfig {
  return { url, keyPrefix: 'cosjob', ...extra };
}

function captureLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Resolves on the next event; used to wait for state changes without sleeping. */
function nextEvent(client: RedisClient, event: string): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

describe('parseRedisUrl', () => {
  it('reads host, port, db and defaults', () => {
    expect(parseRedisUrl('redis://cache.internal')).toEqual({
      host: 'cache.internal',
      port: 6379,
      db: 0,
      tls: false,
    });
    expect(parseRedisUrl('redis://10.0.0.5:6380/3')).toEqual({
      host: '10.0.0.5',
      port: 6380,
      db: 3,
      tls: false,
    });
    expect(parseRedisUrl('rediss://[::1]:6390')).toEqual({ host: '::1', port: 6390, db: 0, tls: true });
  });

  it('reads a password alone and an ACL user with a password, decoding percent-escapes', () => {
    expect(parseRedisUrl('redis://:s3cret@h:1')).toMatchObject({ password: 's3cret' });
    expect(parseRedisUrl('redis://:s3cret@h:1')).not.toHaveProperty('username');
    expect(parseRedisUrl('redis://cosjob:p%40ss%3Aw%2Fd@h:1/2')).toEqual({
      host: 'h',
      port: 1,
      username: 'cosjob',
      password: 'p@ss:w/d',
      db: 2,
      tls: false,
    });
  });

  it('rejects unusable URLs with a reason and without echoing the password', () => {
    expect(() => parseRedisUrl('http://:topsecret@h:1')).toThrow(RedisUrlError);
    expect(() => parseRedisUrl('redis://:topsecret@h:1/abc')).toThrow(/database number/);
    for (const bad of ['http://:topsecret@h:1', 'redis://:topsecret@h:1/abc', 'not a url topsecret']) {
      try {
        parseRedisUrl(bad);
        expect.unreachable(`${bad} should be refused`);
      } catch (error) {
        expect((error as Error).message).not.toContain('topsecret');
      }
    }
  });
});

describe('redactRedisUrl', () => {
  it('hides the password but keeps the user, host and db', () => {
    expect(redactRedisUrl('redis://cosjob:p%40ss@h:6379/1')).toBe('redis://cosjob:***@h:6379/1');
    expect(redactRedisUrl('redis://:pw@h:6379')).toBe('redis://:***@h:6379');
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(redactRedisUrl('::: not a url with secret')).toBe('<unparsable Redis URL>');
  });
});

describe('redisOptionsFor', () => {
  const endpoint = parseRedisUrl('redis://u:pw@h:1/0');

  it('pins RESP2 for both roles', () => {
    expect(redisOptionsFor(endpoint, 'decision').protocol).toBe(2);
    expect(redisOptionsFor(endpoint, 'background').protocol).toBe(2);
  });

  it('makes the decision role fail fast and lets the background role wait', () => {
    const decision = redisOptionsFor(endpoint, 'decision');
    const background = redisOptionsFor(endpoint, 'background');
    expect(decision.maxRetriesPerRequest).toBe(1);
    expect(decision.commandTimeout).toBeLessThanOrEqual(2_000);
    expect(decision.connectTimeout).toBeLessThanOrEqual(3_000);
    expect(decision.autoResendUnfulfilledCommands).toBe(false);
    expect(background.maxRetriesPerRequest).toBeGreaterThan(decision.maxRetriesPerRequest as number);
    expect(background.commandTimeout).toBeGreaterThan(decision.commandTimeout as number);
  });

  it('bounds the reconnect delay, and keeps reconnecting', () => {
    const decision = redisOptionsFor(endpoint, 'decision').retryStrategy!;
    const background = redisOptionsFor(endpoint, 'background').retryStrategy!;
    for (const times of [1, 5, 50, 10_000]) {
      expect(decision(times)).toBeTypeOf('number');
      expect(decision(times) as number).toBeLessThan(1_100);
      expect(background(times) as number).toBeLessThan(5_100);
    }
  });

  it('passes the ACL user, password and TLS through', () => {
    const options = redisOptionsFor(parseRedisUrl('rediss://bot:pw@redis.example:6380/4'), 'decision');
    expect(options).toMatchObject({
      username: 'bot',
      password: 'pw',
      db: 4,
      tls: { servername: 'redis.example' },
    });
  });
});

describe('connections to a real server', () => {
  let server: TestRedisServer | undefined;
  const clients: RedisClient[] = [];

  beforeEach(async (ctx) => {
    ctx.skip(redisTestsUseExternalServer(), EXTERNAL_SERVER_SKIP_REASON);
    server = await startRedisServer({ extraArgs: ['--requirepass', 'admin-password-1'] });
    const admin = new Redis(`redis://:admin-password-1@127.0.0.1:${server.port}`, { protocol: 2 });
    await admin.call('ACL', 'SETUSER', 'cosjob', 'on', '>bot-password-2', '~*', '+@all');
    admin.disconnect();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => closeRedis(client)));
    await server?.stop();
  });

  function connect(url: string, role: 'decision' | 'background', logger = silentLogger, lazy = false) {
    const client = createRedis(config(url), { role, logger, lazy });
    clients.push(client);
    return client;
  }

  it('connects with an ACL user and password from the URL', async () => {
    const client = connect(`redis://cosjob:bot-password-2@127.0.0.1:${server!.port}`, 'decision');
    await waitForReady(client, 5_000);
    expect(await client.call('ACL', 'WHOAMI')).toBe('cosjob');
  });

  it('logs errors with the URL redacted, never the password', async () => {
    const { lines, logger } = captureLogger();
    const client = connect(`redis://cosjob:wrong-password-3@127.0.0.1:${server!.port}`, 'decision', logger);
    await expect(waitForReady(client, 1_500)).rejects.toThrow(RedisNotReadyError);
    const text = lines.join('\n');
    expect(text).toContain('Redis connection error');
    expect(text).toMatch(/WRONGPASS|invalid username-password/);
    expect(text).toContain('cosjob:***@127.0.0.1');
    expect(text).not.toContain('wrong-password-3');
  });

  it('decision role: a command rejects instead of waiting while the server is down', async () => {
    const client = connect(`redis://cosjob:bot-password-2@127.0.0.1:${server!.port}`, 'decision');
    await waitForReady(client, 5_000);
    expect(await client.call('PING')).toBe('PONG');
    const closed = nextEvent(client, 'close');
    await server!.kill('SIGKILL');
    await closed;
    // Rejected at once by the disabled offline queue; a hang would hit the test timeout instead.
    await expect(client.call('GET', 'some-key')).rejects.toThrow(
      /enableOfflineQueue|Connection is closed|writeable/,
    );
    await expect(client.call('SET', 'some-key', 'v')).rejects.toThrow();
  });

  it('decision role: a command in flight when the server dies is rejected, not resent later', async () => {
    const client = connect(`redis://cosjob:bot-password-2@127.0.0.1:${server!.port}`, 'decision');
    await waitForReady(client, 5_000);
    // BLPOP blocks server-side, so it is certainly in flight when the process is killed.
    const pending = client.call('BLPOP', 'never-filled', '0');
    await server!.kill('SIGKILL');
    await expect(pending).rejects.toThrow();
  });

  it('background role: a command issued while the server is down waits and completes after it returns', async () => {
    const client = connect(`redis://:admin-password-1@127.0.0.1:${server!.port}`, 'background');
    await waitForReady(client, 5_000);
    const closed = nextEvent(client, 'close');
    await server!.kill('SIGKILL');
    await closed;
    const queued = client.call('SET', 'queued-key', 'done');
    await server!.restart();
    expect(await queued).toBe('OK');
    expect(await client.call('GET', 'queued-key')).toBe('done');
  });

  it('decision role: recovers by itself once the server is back', async () => {
    // The default user: its password comes from the command line and survives the restart.
    const client = connect(`redis://:admin-password-1@127.0.0.1:${server!.port}`, 'decision');
    await waitForReady(client, 5_000);
    const closed = nextEvent(client, 'close');
    await server!.kill('SIGKILL');
    await closed;
    await expect(client.call('PING')).rejects.toThrow();
    const ready = nextEvent(client, 'ready');
    await server!.restart();
    await ready;
    expect(await client.call('PING')).toBe('PONG');
  });

  it('a lazy client connects on waitForReady', async () => {
    const client = connect(
      `redis://:admin-password-1@127.0.0.1:${server!.port}`,
      'decision',
      silentLogger,
      true,
    );
    expect(client.status).toBe('wait');
    await waitForReady(client, 5_000);
    expect(client.status).toBe('ready');
  });

  it('closeRedis ends the connection and can be called twice', async () => {
    const client = connect(`redis://:admin-password-1@127.0.0.1:${server!.port}`, 'decision');
    await waitForReady(client, 5_000);
    await closeRedis(client);
    expect(client.status).toBe('end');
    await closeRedis(client);
    await expect(waitForReady(client, 100)).rejects.toThrow(/closed/);
  });
});

describe('waitForReady', () => {
  it('rejects with the last error and what to check when nothing listens', async () => {
    const port = await closedPort();
    const client = createRedis(config(`redis://127.0.0.1:${port}`), {
      role: 'decision',
      logger: silentLogger,
    });
    try {
      const error = await waitForReady(client, 800).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error).toBeInstanceOf(RedisNotReadyError);
      expect(error!.message).toMatch(/not ready after 800 ms/);
      expect(error!.message).toMatch(/ECONNREFUSED/);
      expect(error!.message).toMatch(/Check REDIS_URL/);
    } finally {
      await closeRedis(client);
    }
  });
});

describe('createRedis configuration checks', () => {
  it('refuses a database number with Cluster', () => {
    expect(() =>
      createRedis(config('redis://h:1/2', { clusterNodes: [{ host: '127.0.0.1', port: 1 }] }), {
        role: 'decision',
        logger: silentLogger,
        lazy: true,
      }),
    ).toThrow(/Cluster has only database 0/);
  });

  it('refuses Sentinel without a master name', () => {
    expect(() =>
      createRedis(config('redis://h:1', { sentinels: [{ host: '127.0.0.1', port: 1 }] }), {
        role: 'decision',
        logger: silentLogger,
        lazy: true,
      }),
    ).toThrow(/REDIS_SENTINEL_NAME/);
  });
});

describe('Sentinel', () => {
  const servers: TestRedisServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  it('finds the master through a sentinel and uses the URL for credentials', async (ctx) => {
    ctx.skip(redisTestsUseExternalServer(), EXTERNAL_SERVER_SKIP_REASON);
    const master = await startRedisServer({ extraArgs: ['--requirepass', 'master-password-4'] });
    servers.push(master);
    const sentinel = await startRedisServer({ sentinelFor: { name: 'cosjob-master', port: master.port } });
    servers.push(sentinel);
    const { lines, logger } = captureLogger();
    const client = createRedis(
      config('redis://:master-password-4@ignored-in-sentinel-mode:1', {
        sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
        sentinelName: 'cosjob-master',
      }),
      { role: 'decision', logger },
    );
    try {
      await waitForReady(client, 10_000);
      await client.call('SET', 'through-sentinel', 'yes');
      const direct = new Redis(`redis://:master-password-4@127.0.0.1:${master.port}`, { protocol: 2 });
      expect(await direct.get('through-sentinel')).toBe('yes');
      direct.disconnect();
      expect(lines.join('\n')).toContain('sentinel master cosjob-master via 127.0.0.1:');
      expect(lines.join('\n')).not.toContain('master-password-4');
    } finally {
      await closeRedis(client);
    }
  });
});
