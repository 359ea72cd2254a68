/**
 * The Redis servers the bench needs: started here (tools/redis-server.ts startRedisServer) and stopped
 * afterwards, or REDIS_URL when it is set. Each measurement gets a fresh key prefix so chains never mix;
 * on a shared REDIS_URL server the bench deletes its own keys (and only those) when it is done.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redactRedisUrl } from '../src/redis/connection.js';
import { startRedisServer, type TestRedisServer } from '../tools/redis-server.js';

export type BenchPersistence = 'none' | 'aof';

export interface BenchRedis {
  url: string;
  /** For the report: where the figures come from, without credentials. */
  description: string;
  /** A key prefix no other measurement uses. */
  newPrefix(): string;
  close(): Promise<void>;
}

const runId = randomBytes(4).toString('hex');
let prefixCounter = 0;

/**
 * `none`: REDIS_URL when set (its own persistence settings apply), otherwise a local server without
 * persistence. `aof`: always a local server with `appendonly yes` and `appendfsync always`, because the
 * bench cannot change a shared server's persistence.
 */
export async function startBenchRedis(persistence: BenchPersistence): Promise<BenchRedis> {
  const prefixes: string[] = [];
  const newPrefix = () => {
    prefixCounter += 1;
    const prefix = `bench-${runId}-${prefixCounter}`;
    prefixes.push(prefix);
    return prefix;
  };
  const external = process.env.REDIS_URL;
  if (persistence === 'none' && external) {
    return {
      url: external,
      description: `REDIS_URL ${redactRedisUrl(external)} (persistence as configured there)`,
      newPrefix,
      // Best effort: a failed clean-up must not hide the error that ended the measurement.
      close: () =>
        deleteKeys(external, prefixes).catch((error: unknown) => {
          process.emitWarning(
            `could not delete the bench's keys (${prefixes.map((p) => `*${p}*`).join(', ')}) from REDIS_URL: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        }),
    };
  }
  const server: TestRedisServer = await startRedisServer({ persistence });
  return {
    url: server.url,
    description:
      persistence === 'aof'
        ? `local redis-server, appendonly yes, appendfsync always (dir ${server.dir})`
        : 'local redis-server, no persistence',
    newPrefix,
    close: () => server.stop(),
  };
}

/** SCAN + UNLINK of keys containing one of the bench's prefixes (random, so nobody else's keys match). */
async function deleteKeys(url: string, prefixes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/** Calls per command since the server started (INFO commandstats), e.g. `{ get: 120, evalsha: 40 }`. */
export async function commandCalls(url: string): Promise<Map<string, number>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    const calls = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      calls.set(match[1] as string, Number(match[2]));
    }
    return calls;
  } finally {
    redis.disconnect();
  }
}

/** What `after` counted beyond `before`, per command, largest first; the bench's own INFO calls left out. */
export function callsBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Array<[string, number]> {
  return [...after]
    .map(([name, n]): [string, number] => [name, n - (before.get(name) ?? 0)])
    .filter(([name, n]) => n > 0 && name !== 'info')
    .sort((a, b) => b[1] - a[1]);
}
