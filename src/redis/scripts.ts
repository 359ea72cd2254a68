import type { RedisClient } from './connection.js';

type ScriptArg = string | number;

/** What ioredis adds to a client for a command registered with `defineCommand`. */
type DefinedCommand = (...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/**
 * A Lua script registered with ioredis `defineCommand`, which runs it by SHA1 (EVALSHA) and falls back to
 * EVAL when the server has not cached it (after a restart, a failover, or on a Cluster node that never saw
 * it). It works the same on one node and on Cluster: ioredis routes by the first key, so every key a script
 * touches must share a hash tag. Each client is given the command the first time the script runs on it.
 */
export class RedisScript<Result = unknown> {
  private readonly command: string;
  private readonly registered = new WeakSet<RedisClient>();

  constructor(
    /** Names the command on the client (`cosjob:<name>`-style names are turned into a method name). */
    readonly name: string,
    readonly numberOfKeys: number,
    readonly lua: string,
  ) {
    this.command = `cosjob_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[] = []): Promise<Result> {
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`script ${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    }
    if (!this.registered.has(client)) {
      client.defineCommand(this.command, { numberOfKeys: this.numberOfKeys, lua: this.lua });
      this.registered.add(client);
    }
    const command = (client as unknown as Record<string, DefinedCommand>)[this.command];
    if (!command) throw new Error(`script ${this.name} was not registered on the client`);
    return (await command.call(client, ...keys, ...args)) as Result;
  }
}
