/**
 * Reading checkpoints back (file, Slack history through the fake Slack Web API) and naming those the
 * chain in a real redis-server no longer contains.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainReads } from '../../src/audit/chain-reads.js';
import {
  type CheckpointSet,
  checkpointReportLines,
  readCheckpointFile,
  verifyAgainstCheckpoints,
} from '../../src/audit/checkpoint-verify.js';
import {
  type AuditCheckpoint,
  CHECKPOINT_TYPE,
  CheckpointFileWriter,
  CheckpointSigner,
  checkpointLine,
  readChainHead,
} from '../../src/audit/checkpoints.js';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { runCli } from '../../src/cli/main.js';
import type { RedisClient } from '../../src/redis/connection.js';
import type { KeySpace } from '../../src/redis/keys.js';
import {
  CHECKPOINT_EVENT_TYPE,
  readSlackCheckpoints,
  SlackCheckpointPublisher,
} from '../../src/slack/audit-checkpoints.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { useRedis } from '../helpers/redis.js';
import {
  cutEverywhere,
  cutGlobalTail,
  entry,
  field,
  JOB_A,
  JOB_B,
  keysFor,
  rehash,
  rewriteStream,
  SteppingClock,
  setField,
  useClients,
} from './support.js';

const redisCtx = useRedis();
const client = useClients();
const KEY = 'checkpoint-verify-hmac-key-0123456789';
const BOT_TOKEN = 'xoxb-checkpoint-test-0000-abcdef';
const CHANNEL = 'C0AUDIT';

interface Fixture {
  redis: RedisClient;
  keys: KeySpace;
  audit: RedisAuditTrail;
  reads: ChainReads;
  signer: CheckpointSigner;
  entries: AuditEntry[];
  /** A checkpoint taken after entries 2, 4 and 6. */
  checkpoints: AuditCheckpoint[];
}

async function fixture(keyed = true): Promise<Fixture> {
  const hmacKey = keyed ? KEY : undefined;
  const redis = client(redisCtx.url);
  const keys = keysFor(redisCtx.keyPrefix);
  const audit = new RedisAuditTrail(redis, {
    keys,
    clock: new SteppingClock(),
    ...(hmacKey ? { hmacKey } : {}),
  });
  const reads = new ChainReads(redis, keys);
  const signer = new CheckpointSigner(hmacKey);
  const entries: AuditEntry[] = [];
  const checkpoints: AuditCheckpoint[] = [];
  for (let i = 0; i < 6; i += 1) {
    entries.push(await audit.append(entry(i % 2 === 0 ? JOB_A : JOB_B, { reason: `step ${i + 1}` })));
    if (i % 2 === 1) {
      const head = (await readChainHead(reads))!;
      checkpoints.push(
        signer.sign({
          type: CHECKPOINT_TYPE,
          v: 1,
          trail: redisCtx.keyPrefix,
          seq: head.seq,
          headHash: head.hash,
          streamId: head.streamId,
          time: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
        }),
      );
    }
  }
  return { redis, keys, audit, reads, signer, entries, checkpoints };
}

function asSet(checkpoints: readonly AuditCheckpoint[]): CheckpointSet {
  return {
    checkpoints: checkpoints.map((checkpoint, i) => ({ checkpoint, where: `line ${i + 1}` })),
    unreadable: [],
    warnings: [],
  };
}

async function check(f: Fixture, set: CheckpointSet) {
  return verifyAgainstCheckpoints(f.reads, set, { signer: f.signer, trail: redisCtx.keyPrefix });
}

describe('verifyAgainstCheckpoints', () => {
  it('accepts a chain that contains every checkpoint, and one that grew since', async () => {
    const f = await fixture();
    await f.audit.append(entry(JOB_A));
    const report = await check(f, asSet(f.checkpoints));
    expect(report).toMatchObject({ ok: true, checked: 3, contained: 3, problems: [], unsigned: 0 });
    expect(report.newestContained?.seq).toBe(6);
  });

  it('beyond_head: the newest entries cut and the head rolled back', async () => {
    const f = await fixture();
    await cutGlobalTail(f, 3);
    // The chain alone verifies: only the checkpoints outside Redis show the cut.
    expect((await f.audit.verify({ kind: 'global' })).ok).toBe(true);
    const report = await check(f, asSet(f.checkpoints));
    expect(report).toMatchObject({ ok: false, checked: 3, contained: 1 });
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'beyond_head', seq: 4, where: 'line 2' }),
      expect.objectContaining({ kind: 'beyond_head', seq: 6, where: 'line 3' }),
    ]);
    expect(report.problems[0]!.detail).toMatch(/the chain now ends at seq 3/);
  });

  it('beyond_head: the whole trail deleted (or lost in a restart without persistence)', async () => {
    const f = await fixture();
    await f.redis.call('FLUSHDB');
    const report = await check(f, asSet(f.checkpoints));
    expect(report.problems.map((p) => p.kind)).toEqual(['beyond_head', 'beyond_head', 'beyond_head']);
    expect(report.problems[0]!.detail).toMatch(/chain is empty/);
  });

  it('different_entry: history rewritten without the key (the whole chain recomputed)', async () => {
    const f = await fixture(false);
    let prevHash = '0'.repeat(64);
    await rewriteStream(f.redis, f.keys.auditLog(), (records) =>
      records.map((r, i) => {
        let forged = setField(r, 'prevHash', prevHash);
        if (i === 2) forged = setField(forged, 'reason', 'rewritten');
        forged = rehash(forged);
        prevHash = field(forged, 'hash');
        return forged;
      }),
    );
    await f.redis.hset(f.keys.auditHead(), 'hash', prevHash);
    expect((await f.audit.verify({ kind: 'global' })).ok).toBe(true);
    const report = await check(f, asSet(f.checkpoints));
    expect(report.contained).toBe(1);
    expect(report.problems.map((p) => [p.kind, 'seq' in p ? p.seq : 0])).toEqual([
      ['different_entry', 4],
      ['different_entry', 6],
    ]);
    expect(report.problems[0]!.detail).toMatch(/now claims seq 4 with hash/);
  });

  it('different_entry: the checkpointed entry gone from a chain that still reaches past it', async () => {
    const f = await fixture();
    await f.redis.call('XDEL', f.keys.auditLog(), f.entries[3]!.streamId);
    const report = await check(f, asSet(f.checkpoints));
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'different_entry', seq: 4 })]);
    expect(report.problems[0]!.detail).toMatch(/has no entry at stream id/);
  });

  it('unauthentic: a checkpoint with a wrong MAC is reported and not used; unsigned ones are counted', async () => {
    const f = await fixture();
    const forged = { ...f.checkpoints[2]!, seq: 99 };
    const unsigned = { ...f.checkpoints[0]! };
    delete unsigned.hmac;
    const report = await check(f, asSet([forged, unsigned]));
    expect(report).toMatchObject({ ok: false, checked: 1, contained: 1, unsigned: 1 });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'unauthentic', seq: 99 })]);
  });

  it('skips checkpoints of other trails', async () => {
    const f = await fixture();
    const other = f.signer.sign({ ...f.checkpoints[0]!, trail: 'staging', seq: 500 });
    const report = await check(f, asSet([...f.checkpoints, other]));
    expect(report).toMatchObject({ ok: true, checked: 3, otherTrails: 1 });
  });

  it('reads a file written by the writer, reporting unreadable lines by number', async () => {
    const f = await fixture();
    const dir = await mkdtemp(join(tmpdir(), 'cosjob-cp-'));
    try {
      const path = join(dir, 'checkpoints.jsonl');
      const writer = await CheckpointFileWriter.open(path);
      for (const checkpoint of f.checkpoints) await writer.write(checkpoint);
      await writer.close();
      await writeFile(path, `${await readFile(path, 'utf8')}not json\n{"type":"other"}\n\n`);
      const set = await readCheckpointFile(path);
      expect(set.checkpoints).toHaveLength(3);
      const report = await check(f, set);
      expect(report.contained).toBe(3);
      expect(report.problems).toEqual([
        expect.objectContaining({ kind: 'unreadable', where: 'line 4' }),
        expect.objectContaining({ kind: 'unreadable', where: 'line 5' }),
      ]);
      const lines = checkpointReportLines(path, report);
      expect(lines[0]).toMatch(/^✘ checkpoints: 3 of 3 checkpoints/);
      await expect(readCheckpointFile(join(dir, 'absent.jsonl'))).rejects.toThrow(
        /cannot read checkpoints from .*ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checkpoints in Slack', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack({ expectedToken: BOT_TOKEN });
  });
  afterEach(async () => {
    await slack.close();
  });

  function web(): WebClient {
    return new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  }

  it('are posted as message metadata and read back from the history, oldest first', async () => {
    const f = await fixture();
    const publisher = new SlackCheckpointPublisher(web(), CHANNEL);
    for (const checkpoint of f.checkpoints) await publisher.publish(checkpoint);
    const posted = slack.messages(CHANNEL);
    expect(posted).toHaveLength(3);
    expect(posted[0]!.metadata).toMatchObject({
      event_type: CHECKPOINT_EVENT_TYPE,
      event_payload: { seq: 2 },
    });
    expect(posted[0]!.text).toMatch(/Audit checkpoint: global seq 2, head hash `[0-9a-f]{16}…`/);
    expect(posted[0]!.text).not.toContain(KEY);

    const set = await readSlackCheckpoints(web(), CHANNEL, { botUserId: 'U0BOT' });
    expect(set.checkpoints.map((c) => c.checkpoint)).toEqual(f.checkpoints);
    expect(set.checkpoints[0]!.where).toMatch(/^Slack message \d+\.\d+$/);
    expect((await check(f, set)).ok).toBe(true);

    await cutGlobalTail(f, 5);
    const after = await check(f, await readSlackCheckpoints(web(), CHANNEL, { botUserId: 'U0BOT' }));
    expect(after.problems).toEqual([expect.objectContaining({ kind: 'beyond_head', seq: 6 })]);
  });

  it('says so when Slack reports more history without a cursor to read it by', async () => {
    const f = await fixture();
    const publisher = new SlackCheckpointPublisher(web(), CHANNEL);
    await publisher.publish(f.checkpoints[0]!);
    // The fake pages only by `limit` (200 here) and sends no next_cursor.
    const client = web();
    for (let i = 0; i < 200; i += 1)
      await client.chat.postMessage({ channel: CHANNEL, text: `chatter ${i}` });
    const set = await readSlackCheckpoints(client, CHANNEL, { botUserId: 'U0BOT' });
    expect(set.checkpoints).toHaveLength(0);
    expect(set.warnings).toEqual([expect.stringMatching(/more history but gave no cursor/)]);
    const lines = checkpointReportLines('Slack', await check(f, set));
    expect(lines.join('\n')).toMatch(/warning: Slack reported more history/);
    expect(lines.join('\n')).toMatch(/no checkpoint of this trail was found/);
  });

  it("reports checkpoints posted by someone other than cosjob's bot", async () => {
    const f = await fixture();
    await new SlackCheckpointPublisher(web(), CHANNEL).publish(f.checkpoints[0]!);
    const set = await readSlackCheckpoints(web(), CHANNEL, { botUserId: 'U0SOMEONE' });
    const report = await check(f, set);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'unauthentic', seq: 2 })]);
    expect(report.problems[0]!.detail).toMatch(/posted by U0BOT, not by cosjob's bot/);
  });
});

describe('cosjob audit verify --checkpoints', () => {
  let slack: FakeSlack;
  let dir: string;
  beforeEach(async () => {
    slack = await startFakeSlack({ expectedToken: BOT_TOKEN });
    dir = await mkdtemp(join(tmpdir(), 'cosjob-cli-cp-'));
  });
  afterEach(async () => {
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });

  function env(): Record<string, string> {
    return {
      REDIS_URL: redisCtx.url,
      REDIS_KEY_PREFIX: redisCtx.keyPrefix,
      AUDIT_HMAC_KEY: KEY,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      SLACK_CHANNEL_ID: 'C0APPROVE',
      AUDIT_CHANNEL_ID: CHANNEL,
    };
  }

  async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, env(), {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  }

  it('passes while the chain contains the checkpoints and fails, naming them, once it does not', async () => {
    const f = await fixture();
    const path = join(dir, 'checkpoints.jsonl');
    await writeFile(path, f.checkpoints.map((c) => `${checkpointLine(c)}\n`).join(''));
    const publisher = new SlackCheckpointPublisher(
      new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl }),
      CHANNEL,
    );
    for (const checkpoint of f.checkpoints) await publisher.publish(checkpoint);

    const intact = await cli(['audit', 'verify', '--checkpoints', path]);
    expect(intact.stderr).toBe('');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/✔ global chain: 6 entries, chain intact/);
    expect(intact.stdout).toMatch(
      /✔ checkpoints: 3 of 3 checkpoints from .* are in the chain \(newest: seq 6/,
    );
    expect((await cli(['audit', 'verify', '--checkpoints', 'slack'])).code).toBe(0);

    // Cut and rolled back consistently everywhere in Redis: only the checkpoints show it.
    await cutEverywhere(f, 4);
    const plain = await cli(['audit', 'verify']);
    expect(plain.code).toBe(0);

    for (const source of [path, 'slack']) {
      const cut = await cli(['audit', 'verify', '--checkpoints', source]);
      expect(cut.code).toBe(1);
      expect(cut.stdout).toMatch(/✘ checkpoints: 2 of 3 checkpoints/);
      expect(cut.stdout).toMatch(/beyond_head — checkpoint of seq 6 .*the chain now ends at seq 4/);
      expect(cut.stdout).not.toContain(KEY);
    }
    expect(slack.callsTo('conversations.history').every((c) => c.params.channel === CHANNEL)).toBe(true);
  });

  it('names the cross-check problem of a cut that left the job chains behind', async () => {
    const f = await fixture();
    await cutGlobalTail(f, 4);
    const result = await cli(['audit', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✘ global chain: rolled_back — the global chain ends at seq 4/);
  });

  it('refuses --checkpoints with a JobId, and a missing file, with a clear message', async () => {
    const withJob = await cli([
      'audit',
      'verify',
      JOB_A,
      '--region',
      'ap-guangzhou',
      '--checkpoints',
      'slack',
    ]);
    expect(withJob.code).toBe(2);
    expect(withJob.stderr).toMatch(/--checkpoints checks the global chain/);
    const missing = await cli(['audit', 'verify', '--checkpoints', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read checkpoints from .*nope\.jsonl \(ENOENT\)/);
  });
});
