/**
 * What a decision keeps in Redis beside the job record: the votes, the claim that makes one act win, the
 * pending intents and the stored decision. `decide()` and the reconciler both go through here, so each
 * key is written one way.
 */
import { Cluster } from 'ioredis';
import { DEFAULT_ACCOUNT_NAME, type JobRef } from '../jobs/job-ref.js';
import type { KeySpace } from '../redis/keys.js';
import { RedisScript } from '../redis/scripts.js';
import type { ClaimHolder, Intent, StoredDecision } from './decision.js';
import type { RedisClient } from './ports.js';

// Counts a vote unless the job is already decided: returns [added (0|1), voteCount], or [-1, 0].
const VOTE = new RedisScript<[number, number]>(
  'decision-vote',
  2,
  `
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1, 0} end
local added = redis.call('SADD', KEYS[1], ARGV[1])
return {added, redis.call('SCARD', KEYS[1])}`,
);

// A claim's value is JSON naming the intent that holds it; only that intent may release it.
const RELEASE_CLAIM = new RedisScript<number>(
  'decision-release-claim',
  1,
  `
local v = redis.call('GET', KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`,
);

export type VoteResult = { kind: 'decided' } | { kind: 'counted'; added: boolean; count: number };

/** Stands in for a stored decision that cannot be read: a damaged record still means the job was decided. */
const DAMAGED_DECISION: StoredDecision = {
  action: 'approve',
  actor: { id: 'unknown', name: 'unknown (damaged record)' },
  approverIds: [],
  at: '',
  cosStatus: '',
};

function decisionFromStored(raw: string | null): StoredDecision | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as StoredDecision;
    if (typeof parsed.action === 'string' && typeof parsed.actor?.id === 'string') return parsed;
  } catch {
    // fall through
  }
  return DAMAGED_DECISION;
}

export class DecisionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
  ) {}

  async decision(ref: JobRef): Promise<StoredDecision | undefined> {
    return decisionFromStored(await this.redis.get(this.keys.jobDecision(ref)));
  }

  /**
   * The decision and votes of many jobs (a digest's rows), in request order. On a single node (or
   * Sentinel) one pipeline: one write and one read instead of two each per job. On Cluster each job's keys
   * have their own hash tag, so a pipeline across jobs is refused; there the reads go out concurrently.
   */
  async decisionsAndVotes(
    refs: readonly JobRef[],
  ): Promise<Array<{ decision: StoredDecision | undefined; voterIds: string[] }>> {
    if (refs.length === 0) return [];
    if (this.redis instanceof Cluster) {
      return Promise.all(
        refs.map(async (ref) => {
          const [decision, voterIds] = await Promise.all([this.decision(ref), this.votes(ref)]);
          return { decision, voterIds };
        }),
      );
    }
    const pipeline = this.redis.pipeline();
    for (const ref of refs) pipeline.get(this.keys.jobDecision(ref)).smembers(this.keys.jobVotes(ref));
    const replies = (await pipeline.exec()) ?? [];
    // exec() does not throw per command: a failed read fails the whole batch, as one read would.
    const reply = (index: number): unknown => {
      const [error, value] = replies[index] ?? [new Error('Redis sent no reply for this command'), undefined];
      if (error) throw error;
      return value;
    };
    return refs.map((_, i) => {
      const decision = reply(2 * i);
      const voterIds = reply(2 * i + 1);
      return {
        decision: decisionFromStored(typeof decision === 'string' ? decision : null),
        voterIds: Array.isArray(voterIds) ? voterIds.map(String) : [],
      };
    });
  }

  /** Adds the approver's vote unless the job is decided already. */
  async vote(ref: JobRef, userId: string): Promise<VoteResult> {
    const [added, count] = await VOTE.run(
      this.redis,
      [this.keys.jobVotes(ref), this.keys.jobDecision(ref)],
      [userId],
    );
    return added === -1 ? { kind: 'decided' } : { kind: 'counted', added: added === 1, count };
  }

  async withdrawVote(ref: JobRef, userId: string): Promise<void> {
    await this.redis.srem(this.keys.jobVotes(ref), userId);
  }

  async votes(ref: JobRef): Promise<string[]> {
    return this.redis.smembers(this.keys.jobVotes(ref));
  }

  /** First writer wins, for `ttlMs`: true when this call took the claim. */
  async claim(ref: JobRef, holder: ClaimHolder, ttlMs: number): Promise<boolean> {
    const key = this.keys.jobClaim(ref);
    return (await this.redis.set(key, JSON.stringify(holder), 'PX', ttlMs, 'NX')) === 'OK';
  }

  async claimHolder(ref: JobRef): Promise<ClaimHolder | undefined> {
    const raw = await this.redis.get(this.keys.jobClaim(ref));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as ClaimHolder;
    } catch {
      return undefined;
    }
  }

  /** Whether an act on the job is in flight (its claim is held). */
  async isClaimed(ref: JobRef): Promise<boolean> {
    return (await this.redis.exists(this.keys.jobClaim(ref))) === 1;
  }

  /** Whether the job's claim is still held by `intentId` (its act may be in flight). */
  async claimHeldBy(ref: JobRef, intentId: string): Promise<boolean> {
    return (await this.redis.get(this.keys.jobClaim(ref)))?.includes(intentId) ?? false;
  }

  /** Releases the job's claim if `intentId` still holds it (never someone else's). */
  async releaseClaim(ref: JobRef, intentId: string): Promise<void> {
    await RELEASE_CLAIM.run(this.redis, [this.keys.jobClaim(ref)], [intentId]);
  }

  async saveIntent(intent: Intent): Promise<void> {
    await this.redis.hset(this.keys.intents(), intent.intentId, JSON.stringify(intent));
  }

  async dropIntent(intentId: string): Promise<void> {
    await this.redis.hdel(this.keys.intents(), intentId);
  }

  /** Intents with no recorded result, and the ids of any that cannot be read (left for an operator). */
  async pendingIntents(): Promise<{ intents: Intent[]; unreadable: string[] }> {
    const raw = await this.redis.hgetall(this.keys.intents());
    const intents: Intent[] = [];
    const unreadable: string[] = [];
    for (const [intentId, text] of Object.entries(raw ?? {})) {
      try {
        const intent = JSON.parse(text) as Intent;
        // Intents saved before several accounts name no account: they were the default account's.
        intents.push({ ...intent, account: intent.account ?? DEFAULT_ACCOUNT_NAME });
      } catch {
        unreadable.push(intentId);
      }
    }
    return { intents, unreadable };
  }

  /**
   * Settles an intent: stores the decision when COS took it (`keepEarlier` leaves a decision already
   * stored in place), clears the votes, drops the intent and releases its claim, in that order, so a
   * failure part-way leaves the intent for the reconciler.
   */
  async settle(
    intent: Pick<Intent, 'intentId' | 'account' | 'region' | 'jobId'>,
    decision?: StoredDecision,
    keepEarlier = false,
  ): Promise<void> {
    const { intentId } = intent;
    const ref: JobRef = { account: intent.account, region: intent.region, jobId: intent.jobId };
    if (decision) {
      const key = this.keys.jobDecision(ref);
      if (keepEarlier) await this.redis.set(key, JSON.stringify(decision), 'NX');
      else await this.redis.set(key, JSON.stringify(decision));
      await this.redis.del(this.keys.jobVotes(ref));
    }
    await this.dropIntent(intentId);
    await this.releaseClaim(ref, intentId);
  }
}
