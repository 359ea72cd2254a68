import { afterEach, beforeEach } from 'vitest';
import type { EngineSettings } from '../../src/approvals/engine.js';
import type { ApproverDirectory } from '../../src/approvals/ports.js';
import type { Clock } from '../../src/clock.js';
import { buildCore, type Core } from '../../src/core.js';
import { CosClientSet, singleAccountClients } from '../../src/cos/client-set.js';
import type { CosJobsApi } from '../../src/cos/model.js';
import { silentLogger } from '../../src/logger.js';
import { type CosFixture, startCosFixture } from './cos-fixture.js';
import type { RedisTestContext } from './redis.js';

export const APPROVERS = ['UALICE', 'UBOB', 'UCAROL', 'UDAVE'] as const;
export const actor = (id: string) => ({ id, name: id.slice(1).toLowerCase() });

/** The core as buildCore makes it for `npm start`, on this file's Redis and the test's COS clients. */
export type EngineFixture = Core;

export interface BuildEngineOptions extends Partial<EngineSettings> {
  redisUrl: string;
  keyPrefix: string;
  /** One account's clients by region (the `default` account), or clients of several accounts. */
  clients: ReadonlyMap<string, CosJobsApi> | CosClientSet;
  clock: Clock;
  directory?: ApproverDirectory;
  hmacKey?: string;
}

export async function buildEngine(o: BuildEngineOptions): Promise<EngineFixture> {
  const { redisUrl, keyPrefix, clients, clock, directory, hmacKey, ...settings } = o;
  return buildCore(
    {
      redis: { url: redisUrl, keyPrefix },
      approvals: {
        approverUserIds: [...APPROVERS],
        approverUsergroupIds: [],
        requiredApprovals: 1,
        requireCancelReason: true,
        ...(hmacKey ? { auditHmacKey: hmacKey } : {}),
      },
      watcher: { pollIntervalSeconds: 60 },
    },
    {
      logger: silentLogger,
      clock,
      clients: clients instanceof CosClientSet ? clients : singleAccountClients(clients),
      ...(directory ? { directory } : {}),
      engine: { reconcileGraceMs: 0, ...settings },
    },
  );
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
