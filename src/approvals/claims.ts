import type { KeySpace } from '../redis/keys.js';
import type { RedisClient } from './ports.js';

// A claim's value is JSON naming the intent that holds it; only that intent may release it.
const RELEASE_IF_OWNER = `
local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Releases the job's claim if `intentId` still holds it (never someone else's). */
export async function releaseClaim(
  redis: RedisClient,
  keys: KeySpace,
  region: string,
  jobId: string,
  intentId: string,
): Promise<void> {
  await redis.eval(RELEASE_IF_OWNER, 1, keys.jobClaim(region, jobId), intentId);
}

/** Whether the job's claim is still held by `intentId` (its act may be in flight). */
export async function claimHeldBy(
  redis: RedisClient,
  keys: KeySpace,
  region: string,
  jobId: string,
  intentId: string,
): Promise<boolean> {
  return (await redis.get(keys.jobClaim(region, jobId)))?.includes(intentId) ?? false;
}
