import { afterEach, beforeEach } from 'vitest';
import { ApprovalEngine, type EngineOptions } from '../../src/approvals/engine.js';
import type { ApproverDirectory } from '../../src/approvals/ports.js';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { Clock } from '../../src/clock.js';
import type { CosJobsApi } from '../../src/cos/model.js';
import { silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/redis/connection.js';
import { KeySpace } from '../../src/redis/keys.js';
import { type CosFixture, startCosFixture } from './cos-fixture.js';
import type { RedisTestContext } from './redis.js';

export const APPROVERS = ['UALICE', 'UBOB', 'UCAROL', 'UDAVE'] as const;
export const actor = (id: string) => ({ id, name: id.slice(1).toLowerCase() });

export interface EngineFixture {
  engine: ApprovalEngine;
  redis: RedisClient;
  audit: RedisAuditTrail;
  close(): Promise<void>;
}

export interface BuildEngineOptions
  extends Partial<Omit<EngineOptions, 'redis' | 'audit' | 'clients' | 'clock'>> {
  redisUrl: string;
  keyPrefix: string;
  clients: ReadonlyMap<string, CosJobsApi>;
  clock: Clock;
  directory?: ApproverDirectory;
  hmacKey?: string;
}

export async function buildEngine(o: BuildEngineOptions): Promise<EngineFixture> {
  const redis = createRedis(
    { url: o.redisUrl, keyPrefix: o.keyPrefix },
    { role: 'decision', logger: silentLogger },
  );
  const audit = new RedisAuditTrail(redis, {
    keys: new KeySpace(o.keyPrefix),
    clock: o.clock,
    ...(o.hmacKey ? { hmacKey: o.hmacKey } : {}),
  });
  const engine = new ApprovalEngine({
    approverUserIds: [...APPROVERS],
    approverUsergroupIds: [],
    requiredApprovals: 1,
    requireCancelReason: true,
    pollIntervalMs: 60_000,
    logger: silentLogger,
    reconcileGraceMs: 0,
    ...o,
    redis,
    audit,
    clients: o.clients,
    clock: o.clock,
  });
  return {
    engine,
    redis,
    audit,
    async close() {
      await engine.stop();
      await closeRedis(redis);
    },
  };
}

/**
 * A COS emulator started for each test and engines built on demand against it and this file's Redis,
 * all closed after the test. `defaults` apply to every engine; each call may override them.
 */
export function useEngineStack(
  redisCtx: RedisTestContext,
  defaults: Partial<BuildEngineOptions> = {},
): { readonly cos: CosFixture; engine(options?: Partial<BuildEngineOptions>): Promise<EngineFixture> } {
  let cos: CosFixture | undefined;
  const engines: EngineFixture[] = [];
  beforeEach(async () => {
    cos = await startCosFixture();
  });
  afterEach(async () => {
    for (const fx of engines.splice(0)) await fx.close();
    await cos?.close();
  });
  const current = (): CosFixture => {
    if (!cos) throw new Error('useEngineStack: the COS fixture only exists inside a test');
    return cos;
  };
  return {
    get cos() {
      return current();
    },
    async engine(options = {}) {
      const fixture = await buildEngine({
        redisUrl: redisCtx.url,
        keyPrefix: redisCtx.keyPrefix,
        clients: current().clients,
        clock: current().clock,
        ...defaults,
        ...options,
      });
      engines.push(fixture);
      return fixture;
    },
  };
}
