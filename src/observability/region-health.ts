/**
 * Poll health per (account, region), kept in Redis by the replica that polls (the leader) so every
 * replica's /readyz can tell whether COS is being reached, and so channel notices survive a change of
 * leader. Each pair is one field of one hash, named `<region>` for the default account (as before several
 * accounts) and `<account>/<region>` for another.
 */
import { type AccountRegion, accountRegionLabel } from '../jobs/job-ref.js';
import type { RedisClient } from '../redis/connection.js';

export interface RegionHealthRecord {
  /** Epoch ms of the last successful discovery poll. */
  lastOkAt?: number;
  /** Epoch ms of the last failed one, and why, in words a person can act on. */
  lastErrorAt?: number;
  lastError?: string;
  /** Failed polls in a row. */
  failures: number;
  /** Whether the channel was told this region is failing (and not yet that it recovered). */
  alerted: boolean;
}

function parseRecord(text: string | null | undefined): RegionHealthRecord | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const raw = JSON.parse(text) as Partial<Record<keyof RegionHealthRecord, unknown>>;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const lastOkAt = num(raw.lastOkAt);
    const lastErrorAt = num(raw.lastErrorAt);
    return {
      ...(lastOkAt === undefined ? {} : { lastOkAt }),
      ...(lastErrorAt === undefined ? {} : { lastErrorAt }),
      ...(typeof raw.lastError === 'string' ? { lastError: raw.lastError.slice(0, 500) } : {}),
      failures: num(raw.failures) ?? 0,
      alerted: raw.alerted === true,
    };
  } catch {
    // A record that does not parse says nothing; the next poll overwrites it.
    return undefined;
  }
}

export class RegionHealthStore {
  readonly key: string;
  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
  ) {
    // A plain key under the prefix: covered by the bot's ACL pattern `~<prefix>:*`.
    this.key = `${keyPrefix}:health:regions`;
  }

  async get(at: AccountRegion): Promise<RegionHealthRecord | undefined> {
    return parseRecord(await this.redis.hget(this.key, accountRegionLabel(at)));
  }

  /** The records of these pairs, by accountRegionLabel. */
  async all(targets: readonly AccountRegion[]): Promise<Map<string, RegionHealthRecord | undefined>> {
    const labels = targets.map(accountRegionLabel);
    const values = labels.length === 0 ? [] : await this.redis.hmget(this.key, ...labels);
    return new Map(labels.map((label, i) => [label, parseRecord(values[i])]));
  }

  async set(at: AccountRegion, record: RegionHealthRecord): Promise<void> {
    await this.redis.hset(this.key, accountRegionLabel(at), JSON.stringify(record));
  }
}

/**
 * What a region's record says about its polling now: polled within the last three poll intervals, failing
 * (the last poll failed, with why), stale (polled once, not lately: is any replica leading?) or never.
 * /readyz and the Home tab read the same record and judge it here.
 */
export type RegionPollVerdict =
  | { kind: 'ok'; lastOkAt: number }
  | { kind: 'failing'; reason: string; failures: number; lastErrorAt?: number; lastOkAt?: number }
  | { kind: 'stale'; lastOkAt: number }
  | { kind: 'never' };

export function regionPollVerdict(
  record: RegionHealthRecord | undefined,
  now: number,
  pollIntervalMs: number,
): RegionPollVerdict {
  const window = 3 * pollIntervalMs;
  if (record?.lastOkAt !== undefined && now - record.lastOkAt <= window) {
    return { kind: 'ok', lastOkAt: record.lastOkAt };
  }
  if (record?.lastError !== undefined && (record.lastErrorAt ?? 0) >= (record.lastOkAt ?? 0)) {
    return {
      kind: 'failing',
      reason: record.lastError,
      failures: record.failures,
      ...(record.lastErrorAt === undefined ? {} : { lastErrorAt: record.lastErrorAt }),
      ...(record.lastOkAt === undefined ? {} : { lastOkAt: record.lastOkAt }),
    };
  }
  return record?.lastOkAt === undefined ? { kind: 'never' } : { kind: 'stale', lastOkAt: record.lastOkAt };
}
