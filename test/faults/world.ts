/**
 * What every fault scenario checks, whatever broke: the emulator's UpdateJobStatus calls against the audit
 * trail in Redis, and each click against what its person was told.
 *
 * - An intent before every effect: an emulator hook runs after each UpdateJobStatus took effect and before
 *   COS answers, and reads the job's audit history from Redis at that moment. Every call must find an
 *   intent entry it has not been matched with yet. The hook's reader waits for Redis when it is down (its
 *   connection queues commands), so a restart in between delays the answer rather than skipping the check.
 * - No decision sent twice: at most one UpdateJobStatus per job that COS accepted.
 * - No audit entry lost: every entry seen before a fault is still there after it, and verify() passes.
 * - No half-done decision: every intent ends with a result (or a reconciled entry), none left unknown.
 * - Every person answered: a reply through the click's response_url, or the card naming them as the
 *   decider.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { KeySpace } from '../../src/redis/keys.js';
import type { HookContext, RunningEmulator } from '../../tools/emulator/server.js';
import type { FakeSlack } from '../../tools/fakes/fake-slack.js';
import { blockActionPayload, postToBolt } from '../helpers/slack-requests.js';

export interface AuditReader {
  trail: RedisAuditTrail;
  /** Every global entry, oldest first. */
  all(): Promise<AuditEntry[]>;
  close(): void;
}

export function auditReader(redisUrl: string, keyPrefix: string, hmacKey?: string): AuditReader {
  // A test-side connection with ioredis's defaults: commands wait in its queue while the server is down.
  const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const trail = new RedisAuditTrail(redis, {
    keys: new KeySpace(keyPrefix),
    ...(hmacKey === undefined ? {} : { hmacKey }),
  });
  return {
    trail,
    all: () => trail.range(0, Date.now() + 365 * 86_400_000),
    close: () => redis.disconnect(),
  };
}

const isIntent = (e: AuditEntry) => e.outcome === 'intent';

/** The emulator hook that checks "an audit intent before every UpdateJobStatus", then runs `after`. */
export class IntentLedger {
  readonly violations: string[] = [];
  /** UpdateJobStatus calls that took effect (or were refused) after authentication, per job. */
  readonly calls = new Map<string, number>();
  private after: ((ctx: HookContext) => Promise<void>) | undefined;

  constructor(
    private readonly emulator: RunningEmulator,
    reader: AuditReader,
  ) {
    emulator.setHook(async (ctx) => {
      if (ctx.api !== 'UpdateJobStatus' || ctx.jobId === undefined) return;
      const key = `${ctx.region}|${ctx.jobId}`;
      const seen = (this.calls.get(key) ?? 0) + 1;
      this.calls.set(key, seen);
      const intents = (
        await reader.trail.history({ account: 'default', region: ctx.region, jobId: ctx.jobId })
      ).filter(isIntent).length;
      if (intents < seen) {
        this.violations.push(
          `${key}: UpdateJobStatus call #${seen} reached COS with ${intents} intent(s) audited`,
        );
      }
      await this.after?.(ctx);
    });
  }

  /** Runs once per UpdateJobStatus, after the check (e.g. kill the bot there). */
  onEffect(after: ((ctx: HookContext) => Promise<void>) | undefined): void {
    this.after = after;
  }

  detach(): void {
    this.emulator.setHook(undefined);
  }
}

export interface TrackedClick {
  user: string;
  jobId: string;
  responseId: string;
  status: number;
}

/** A signed Approve/Cancel click whose response_url answers can be told apart from every other click's. */
export async function trackedClick(o: {
  eventsUrl: string;
  signingSecret: string;
  slack: FakeSlack;
  channel: string;
  region: string;
  jobId: string;
  messageTs: string;
  user: string;
  actionId?: string;
}): Promise<TrackedClick> {
  const responseId = `fault-${randomBytes(5).toString('hex')}`;
  const payload = blockActionPayload({
    actionId: o.actionId ?? 'cosjob_approve',
    value: `${o.region}|${o.jobId}`,
    userId: o.user,
    userName: o.user.slice(1).toLowerCase(),
    channelId: o.channel,
    messageTs: o.messageTs,
    responseUrl: o.slack.responseUrl(responseId, { user: o.user, channel: o.channel }),
  });
  let status: number;
  try {
    status = (await postToBolt(o.eventsUrl, o.signingSecret, payload, { kind: 'payload' })).status;
  } catch {
    status = 0; // the connection died with the bot
  }
  return { user: o.user, jobId: o.jobId, responseId, status };
}

/** The clicks nobody answered: no response_url reply and not named as the decider on the final card. */
export function unanswered(slack: FakeSlack, clicks: TrackedClick[], cardText: (jobId: string) => string) {
  return clicks.filter((click) => {
    if (slack.responses(click.responseId).length > 0) return false;
    return !new RegExp(`(Approved|Cancelled)\\*? by <@${click.user}>`, 'i').test(cardText(click.jobId));
  });
}

export interface InvariantReport {
  updateJobStatusCalls: number;
  acceptedCalls: number;
  intents: number;
  entries: number;
}

/** The checks every scenario ends with; returns the figures for the scenario's own assertions. */
export async function expectInvariants(o: {
  emulator: RunningEmulator;
  ledger: IntentLedger;
  reader: AuditReader;
  /** Entries read before (or during) the fault: each must still be there. */
  before: AuditEntry[];
}): Promise<InvariantReport> {
  const { emulator, ledger, reader } = o;
  expect(ledger.violations, 'UpdateJobStatus calls without an audit intent before them').toEqual([]);

  const entries = await reader.all();
  const intents = entries.filter(isIntent);
  // Requests cut off by an injected fault before their effect never reach the hook: count them too.
  const requests = emulator.stats.requests.UpdateJobStatus;
  expect(requests, 'UpdateJobStatus requests vs audited intents').toBeLessThanOrEqual(intents.length);

  const accepted = new Map<string, number>();
  for (const update of emulator.stats.statusUpdates) {
    if (update.httpStatus !== 200) continue;
    const key = `${update.region}|${update.jobId}`;
    accepted.set(key, (accepted.get(key) ?? 0) + 1);
  }
  const twice = [...accepted].filter(([, n]) => n > 1);
  expect(twice, 'jobs whose decision COS accepted more than once').toEqual([]);

  const ids = new Set(entries.map((e) => e.entryId));
  const lost = o.before.filter((e) => !ids.has(e.entryId)).map((e) => `#${e.seq} ${e.action} ${e.entryId}`);
  expect(lost, 'audit entries lost').toEqual([]);
  const verified = await reader.trail.verify({ kind: 'global' });
  expect(verified.problem, 'audit verify (global)').toBeUndefined();
  expect(verified.ok).toBe(true);

  const settled = new Set(
    entries
      .filter((e) => e.intentId !== undefined && e.outcome !== 'unknown' && !isIntent(e))
      .map((e) => e.intentId),
  );
  const halfDone = intents.filter((e) => !settled.has(e.entryId)).map((e) => `${e.jobId} ${e.entryId}`);
  expect(halfDone, 'intents without a final result').toEqual([]);

  return {
    updateJobStatusCalls: requests,
    acceptedCalls: [...accepted.values()].reduce((a, b) => a + b, 0),
    intents: intents.length,
    entries: entries.length,
  };
}
