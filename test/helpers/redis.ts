/**
 * Real redis-server processes for tests: one per test file (tools/redis-server.ts starts them),
 * and a fresh key prefix per test.
 *
 * Set REDIS_URL to run against an existing server instead (useRedis then starts nothing; tests that kill
 * or restart the server skip themselves).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type StartRedisOptions, startRedisServer, type TestRedisServer } from '../../tools/redis-server.js';

export {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  type StartRedisOptions,
  startRedisServer,
  type TestRedisServer,
} from '../../tools/redis-server.js';

export interface RedisTestContext {
  /** redis://127.0.0.1:<port> of this file's server, or REDIS_URL. */
  readonly url: string;
  /** A fresh prefix for each test, so tests never share keys (also on a shared REDIS_URL server). */
  readonly keyPrefix: string;
  /** This file's server; undefined when REDIS_URL is used. */
  readonly server: TestRedisServer | undefined;
}

/** One server per test file (beforeAll/afterAll) and a unique key prefix per test (beforeEach). */
export function useRedis(options: StartRedisOptions = {}): RedisTestContext {
  let url: string | undefined;
  let keyPrefix: string | undefined;
  let server: TestRedisServer | undefined;

  beforeAll(async () => {
    const external = process.env.REDIS_URL;
    if (external) {
      url = external;
      return;
    }
    server = await startRedisServer(options);
    url = server.url;
  });
  afterAll(async () => {
    await server?.stop();
    server = undefined;
  });
  beforeEach(() => {
    keyPrefix = `test-${randomBytes(6).toString('hex')}`;
  });

  return {
    get url() {
      if (url === undefined)
        throw new Error('useRedis: the server is not started yet (use it inside a test)');
      return url;
    },
    get keyPrefix() {
      if (keyPrefix === undefined) throw new Error('useRedis: keyPrefix is only set inside a test');
      return keyPrefix;
    },
    get server() {
      return server;
    },
  };
}

/**
 * A redis-server running as a one-node Redis Cluster owning all 16384 slots: a real cluster as far as
 * clients are concerned (MOVED routing, CROSSSLOT checks), which is what the hash tags must satisfy.
 */
export async function startOneNodeCluster(): Promise<TestRedisServer> {
  const server = await startRedisServer({
    // Without an announced address a lone node reports an empty IP in CLUSTER SLOTS.
    extraArgs: [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-announce-ip',
      '127.0.0.1',
    ],
  });
  const admin = new Redis(server.url, { protocol: 2 });
  try {
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
    // The node turns its state to ok asynchronously; a bounded wait, not a timing assertion.
    for (let i = 0; i < 400; i += 1) {
      if (String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    admin.disconnect();
  }
  return server;
}
