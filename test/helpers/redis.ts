/**
 * Real redis-server processes for tests: one per test file (src/devtools/redis-server.ts starts them),
 * and a fresh key prefix per test.
 *
 * Set REDIS_URL to run against an existing server instead (useRedis then starts nothing; tests that kill
 * or restart the server skip themselves).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  type StartRedisOptions,
  startRedisServer,
  type TestRedisServer,
} from '../../src/devtools/redis-server.js';

export {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  type StartRedisOptions,
  startRedisServer,
  type TestRedisServer,
} from '../../src/devtools/redis-server.js';

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
