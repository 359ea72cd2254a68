import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * A Lua script run by its SHA1 (EVALSHA), falling back to EVAL once when the server does not have it
 * cached (after a restart, a failover, or on a Cluster node that never saw it). Works the same on a
 * single node and on Cluster: ioredis routes by the first key, so all keys must share a hash tag.
 */
export class LuaScript {
  readonly sha1: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return client.call('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }
}
