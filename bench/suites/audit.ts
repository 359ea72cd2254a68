/**
 * 4. Audit trail appends and verification on a real redis-server: one connection against four, SHA-256
 * against HMAC, no persistence against AOF with `appendfsync always`.
 */
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import { silentLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from '../../src/redis/connection.js';
import { KeySpace } from '../../src/redis/keys.js';
import { BENCH_REGION } from '../fixtures.js';
import { measure } from '../harness.js';
import type { BenchParams } from '../params.js';
import { type BenchRedis, startBenchRedis } from '../redis.js';
import { type BenchGroup, type BenchRow, compare, formatRatio, row } from '../report.js';

/** Appends spread over this many jobs, as a busy day's cards would. */
const JOBS = 50;
const READY_TIMEOUT_MS = 10_000;
/** Made up for the bench; never a real key. */
const BENCH_HMAC_KEY = 'bench-audit-hmac-key-not-a-secret';

let entryCounter = 0;

function entryInput(): AuditEntryInput {
  entryCounter += 1;
  return {
    account: 'default',
    actor: { id: 'UALICE', name: 'alice' },
    action: 'approve_vote',
    region: BENCH_REGION,
    jobId: `bench-job-${entryCounter % JOBS}`,
    reason: 'copy before the migration',
    outcome: '1 of 2',
    source: 'slack-button',
  };
}

interface Writers {
  trails: RedisAuditTrail[];
  close(): Promise<void>;
}

/** One RedisAuditTrail per connection, as separate replicas would have. */
async function openWriters(
  redis: BenchRedis,
  prefix: string,
  connections: number,
  hmacKey?: string,
): Promise<Writers> {
  const clients: RedisClient[] = [];
  try {
    for (let i = 0; i < connections; i++) {
      const client = createRedis(
        { url: redis.url, keyPrefix: prefix },
        { role: 'decision', logger: silentLogger },
      );
      clients.push(client);
      await waitForReady(client, READY_TIMEOUT_MS);
    }
  } catch (error) {
    await Promise.all(clients.map((c) => closeRedis(c)));
    throw error;
  }
  const keys = new KeySpace(prefix);
  return {
    trails: clients.map(
      (client) =>
        new RedisAuditTrail(client, { keys, logger: silentLogger, ...(hmacKey ? { hmacKey } : {}) }),
    ),
    close: async () => {
      await Promise.all(clients.map((c) => closeRedis(c)));
    },
  };
}

async function appendRow(
  params: BenchParams,
  redis: BenchRedis,
  spec: { id: string; label: string; prefix: string; connections: number; hmacKey?: string },
): Promise<BenchRow> {
  const writers = await openWriters(redis, spec.prefix, spec.connections, spec.hmacKey);
  try {
    const measurement = await measure(
      spec.label,
      (_index, worker) => {
        const trail = writers.trails[worker];
        if (trail === undefined) throw new Error(`no audit writer for worker ${worker}`);
        return trail.append(entryInput());
      },
      { ...params.audit, concurrency: spec.connections },
    );
    return row(spec.id, spec.label, measurement, { unit: 'appends/s' });
  } finally {
    await writers.close();
  }
}

export async function runAuditBench(params: BenchParams): Promise<BenchGroup> {
  const plain = await startBenchRedis('none');
  let durable: BenchRedis | undefined;
  const notes = [`No persistence: ${plain.description}.`];
  try {
    try {
      durable = await startBenchRedis('aof');
      notes.push(`AOF: ${durable.description}.`);
    } catch (error) {
      // Only possible with REDIS_URL set and no local redis-server: the other rows still mean something.
      notes.push(`AOF rows skipped: could not start a local redis-server (${(error as Error).message}).`);
    }

    // The plain SHA-256 rows share one chain, which the verify row then walks.
    const chainPrefix = plain.newPrefix();
    const sha1 = await appendRow(params, plain, {
      id: 'audit.append.sha256.none.c1',
      label: 'append, SHA-256, no persistence, 1 connection',
      prefix: chainPrefix,
      connections: 1,
    });
    const hmac1 = await appendRow(params, plain, {
      id: 'audit.append.hmac.none.c1',
      label: 'append, HMAC-SHA256, no persistence, 1 connection',
      prefix: plain.newPrefix(),
      connections: 1,
      hmacKey: BENCH_HMAC_KEY,
    });
    const sha4 = await appendRow(params, plain, {
      id: 'audit.append.sha256.none.c4',
      label: 'append, SHA-256, no persistence, 4 connections',
      prefix: chainPrefix,
      connections: 4,
    });
    compare(
      hmac1,
      sha1,
      'rate',
      (r) =>
        `keyed (HMAC) appends run at ${formatRatio(r)} the rate of unkeyed ones: hashing is a small part of an ` +
        'append next to its Redis script round trip.',
    );
    compare(
      sha4,
      sha1,
      'rate',
      (r) =>
        `4 writers together reach ${formatRatio(r)} one writer's rate: every append is a compare-and-set on the ` +
        'one global head, so extra writers mostly retry rather than add throughput.',
    );
    const rows: BenchRow[] = [sha1, hmac1, sha4];

    if (durable) {
      const aof1 = await appendRow(params, durable, {
        id: 'audit.append.sha256.aof.c1',
        label: 'append, SHA-256, AOF fsync always, 1 connection',
        prefix: durable.newPrefix(),
        connections: 1,
      });
      const aof4 = await appendRow(params, durable, {
        id: 'audit.append.sha256.aof.c4',
        label: 'append, SHA-256, AOF fsync always, 4 connections',
        prefix: durable.newPrefix(),
        connections: 4,
      });
      const durability = (r: number) =>
        `with an fsync before every reply, appends run at ${formatRatio(r)} the rate without persistence: ` +
        'the price of not losing an acknowledged entry.';
      compare(aof1, sha1, 'rate', durability);
      compare(aof4, sha4, 'rate', durability);
      rows.push(aof1, aof4);
    }

    rows.push(await verifyRow(params, plain, chainPrefix, sha1));
    notes.push(
      'Appends are spread over 50 jobs. WAITAOF confirmation (Redis >= 7.2) is not used here; AOF rows measure the server-side fsync.',
    );
    return { id: 'audit', title: 'Audit trail (src/audit/trail.ts RedisAuditTrail)', rows, notes };
  } finally {
    await plain.close();
    await durable?.close();
  }
}

async function verifyRow(
  params: BenchParams,
  redis: BenchRedis,
  prefix: string,
  appendBaseline: BenchRow,
): Promise<BenchRow> {
  const writers = await openWriters(redis, prefix, 1);
  try {
    const trail = writers.trails[0] as RedisAuditTrail;
    const existing = await trail.verify({ kind: 'global' });
    if (!existing.ok)
      throw new Error(`the bench's own audit chain does not verify: ${JSON.stringify(existing.problem)}`);
    // Top the chain up to the target size; the append rows usually wrote most of it already.
    for (let i = existing.entries; i < params.audit.verifyEntries; i++) await trail.append(entryInput());

    let entries = 0;
    const measurement = await measure(
      'verify global',
      async () => {
        const result = await trail.verify({ kind: 'global' });
        if (!result.ok) throw new Error(`verify failed: ${JSON.stringify(result.problem)}`);
        entries = result.entries;
      },
      { iterations: 1, repetitions: params.audit.verifyRepetitions, warmupIterations: 1 },
    );
    const verify = row(
      'audit.verify.global',
      `verify, global chain of ${entries.toLocaleString('en-US')} entries`,
      measurement,
      {
        unit: 'entries/s',
        unitsPerOp: entries,
        details: { entries },
      },
    );
    return compare(
      verify,
      appendBaseline,
      'rate',
      (r) =>
        `verification checks ${formatRatio(r)} as many entries per second as one connection appends: ` +
        'paged XRANGE reads and one hash per entry, no compare-and-set.',
    );
  } finally {
    await writers.close();
  }
}
