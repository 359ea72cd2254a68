/** The narrow "newest entries by action" read behind the Home tab's last decisions, on a real Redis. */
import { describe, expect, it } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import { useRedis } from '../helpers/redis.js';
import { entry, JOB_A, JOB_B, keysFor, SteppingClock, useClients } from './support.js';

const redisCtx = useRedis();
const client = useClients();

function trail(pageSize = 4) {
  const redis = client(redisCtx.url);
  return new RedisAuditTrail(redis, {
    keys: keysFor(redisCtx.keyPrefix),
    clock: new SteppingClock(),
    pageSize,
  });
}

describe('RedisAuditTrail.newest', () => {
  it('returns the newest matching entries newest first, across pages, and stops at the limit', async () => {
    const audit = trail(3);
    for (let i = 0; i < 6; i++) {
      await audit.append(entry(JOB_A, { action: 'approved', reason: `a${i}` }));
      await audit.append(entry(JOB_B, { action: 'denied' }));
    }
    const newest = await audit.newest({ actions: ['approved', 'cancelled'], limit: 4, scanLimit: 100 });
    expect(newest.entries.map((e) => e.reason)).toEqual(['a5', 'a4', 'a3', 'a2']);
    expect(newest.capped).toBe(false);
    expect(newest.scanned).toBeLessThanOrEqual(9);
  });

  it('reads at most scanLimit entries and says when it stopped there', async () => {
    const audit = trail(5);
    await audit.append(entry(JOB_A, { action: 'cancelled', reason: 'old' }));
    for (let i = 0; i < 30; i++) await audit.append(entry(JOB_B, { action: 'denied' }));
    const capped = await audit.newest({ actions: ['cancelled'], limit: 10, scanLimit: 12 });
    expect(capped.entries).toEqual([]);
    expect(capped.scanned).toBe(12);
    expect(capped.capped).toBe(true);

    const all = await audit.newest({ actions: ['cancelled'], limit: 10, scanLimit: 1000 });
    expect(all.entries.map((e) => e.reason)).toEqual(['old']);
    expect(all.scanned).toBe(31);
    expect(all.capped).toBe(false);
  });

  it('answers an empty trail with nothing, and refuses a limit that is not a whole number', async () => {
    const audit = trail();
    expect(await audit.newest({ actions: ['approved'], limit: 10, scanLimit: 10 })).toEqual({
      entries: [],
      scanned: 0,
      capped: false,
    });
    await expect(audit.newest({ actions: ['approved'], limit: 0, scanLimit: 10 })).rejects.toThrow(
      RangeError,
    );
  });
});
