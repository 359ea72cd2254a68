/**
 * People who may not act, at scale, through the real Bolt receiver, Redis, the COS emulator and the fake
 * Slack: no COS call before the approver check, per-user limits on refusals and look-ups, refusals told
 * privately and echoed in the thread once per interval, each audit entry once, and cards never queued
 * behind those echoes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../../src/redis/connection.js';
import { ALICE, BOB, type E2E, MALLORY, type SlackUser, textOf, updatesOf, useE2E } from './harness.js';

const { start } = useE2E();

/** Non-approvers with ids Slack could issue. */
const strangers = (n: number): SlackUser[] =>
  Array.from({ length: n }, (_, i) => ({ id: `UX${String(i).padStart(4, '0')}`, name: `stranger${i}` }));

async function clicks(e2e: E2E, jobId: string, users: readonly SlackUser[], batch = 20): Promise<void> {
  for (let i = 0; i < users.length; i += batch) {
    const responses = await Promise.all(
      users.slice(i, i + batch).map((user) => e2e.click('cosjob_approve', { jobId }, user)),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
  }
  await e2e.settled();
}

/** Bytes Redis holds for this test's keys (MEMORY USAGE of each) and the server's used_memory. */
async function redisFootprint(redis: RedisClient, prefix: string): Promise<{ keys: number; used: number }> {
  let keys = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) keys += Number((await redis.call('MEMORY', 'USAGE', key)) ?? 0);
  } while (cursor !== '0');
  const info = await redis.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  return { keys, used };
}

/**
 * Mallory clicks Approve `n` times on a fresh card; returns how much this test's keys and the server's
 * used_memory grew (after `settle`, e.g. the flush of counted refusals).
 */
async function refusedClicksFootprint(
  e2e: E2E,
  n: number,
  settle: () => Promise<void> = async () => undefined,
): Promise<{ jobId: string; keys: number; used: number }> {
  const { jobId } = await e2e.pendingCard();
  const prefix = e2e.config.redis.keyPrefix;
  const start = await redisFootprint(e2e.runtime.redis, prefix);
  await clicks(
    e2e,
    jobId,
    Array.from({ length: n }, () => MALLORY),
  );
  await settle();
  const end = await redisFootprint(e2e.runtime.redis, prefix);
  return { jobId, keys: end.keys - start.keys, used: end.used - start.used };
}

/** The audit entries of a job whose action is `denied`. */
async function denied(e2e: E2E, jobId: string) {
  return (await e2e.auditEntries(jobId)).filter((e) => e.action === 'denied');
}

describe('people who may not act', () => {
  it('a non-approver typing /cosjob approve|cancel <random id> causes no COS call, in any region', async () => {
    const e2e = await start({ regions: ['ap-guangzhou', 'ap-shanghai', 'ap-beijing'] });
    const before = e2e.cos.emulator.stats.snapshot().requests;

    for (const text of ['approve RANDOMJOB0001', 'cancel RANDOMJOB0002 because', 'approve RANDOMJOB0003']) {
      const answer = await e2e.command(text, MALLORY);
      expect(answer.status).toBe(200);
      expect(textOf(answer.responses[0])).toContain('not an approver');
    }

    const after = e2e.cos.emulator.stats.snapshot().requests;
    // Before the fix: two DescribeJob calls per configured region per command (six per command here).
    expect(after.DescribeJob - before.DescribeJob).toBe(0);
    expect(after.UpdateJobStatus).toBe(0);
  });

  it('a non-approver on a job cosjob follows is refused and audited, still without a COS call', async () => {
    const e2e = await start({ regions: ['ap-guangzhou', 'ap-shanghai'] });
    const { jobId } = await e2e.pendingCard();
    const before = e2e.cos.emulator.stats.requests.DescribeJob;

    const answer = await e2e.command(`approve ${jobId}`, MALLORY);

    expect(textOf(answer.responses[0])).toContain('not an approver');
    expect(e2e.cos.emulator.stats.requests.DescribeJob).toBe(before);
    expect((await denied(e2e, jobId)).map((e) => e.actor.id)).toEqual([MALLORY.id]);
  });

  it('/cosjob status asks COS for one person at most LOOKUPS_PER_USER_PER_MINUTE times a minute', async () => {
    const e2e = await start({
      regions: ['ap-guangzhou', 'ap-shanghai'],
      limits: { lookupsPerUserPerMinute: 3 },
    });
    const cosCalls = () => e2e.cos.emulator.stats.totalRequests;

    for (let i = 0; i < 3; i++) await e2e.command(`status RANDOMJOB${i}`, MALLORY);
    const afterAllowed = cosCalls();
    const capped = await e2e.command('status RANDOMJOB9', MALLORY);

    expect(textOf(capped.responses[0])).toContain('too often in the last minute');
    expect(cosCalls()).toBe(afterAllowed);
    // Another person is not held back by Mallory, and Mallory may ask again in the next minute.
    await e2e.command('status RANDOMJOB9', ALICE);
    expect(cosCalls()).toBeGreaterThan(afterAllowed);
    e2e.cos.clock.advance(60_000);
    const later = cosCalls();
    await e2e.command('status RANDOMJOB9', MALLORY);
    expect(cosCalls()).toBeGreaterThan(later);
  });

  it('600 refused clicks: 10 audited one by one, the rest counted and audited as one entry; Redis barely grows', async () => {
    // "Before": a limit no one reaches audits every refusal, as cosjob did until now.
    const unlimited = await start({ limits: { refusalsPerUserPerMinute: 10_000 } });
    const before = await refusedClicksFootprint(unlimited, 600);
    expect(await denied(unlimited, before.jobId)).toHaveLength(600);
    await unlimited.close();

    const limited = await start({ keyPrefix: `${unlimited.config.redis.keyPrefix}-limited` });
    const after = await refusedClicksFootprint(limited, 600, async () => {
      limited.cos.clock.advance(60_000);
      expect(await limited.runtime.engine.flushRefusalCounts()).toBe(1);
    });

    const entries = await denied(limited, after.jobId);
    expect(entries).toHaveLength(11);
    expect(entries.slice(0, 10).every((e) => e.outcome === 'refused')).toBe(true);
    expect(entries[10]?.outcome).toBe('refused (counted)');
    expect(entries[10]?.reason).toContain(`590 more refused attempts by ${MALLORY.id}`);
    // Each attempt was still answered, privately.
    expect(limited.slack.ephemerals().filter((m) => m.user === MALLORY.id)).toHaveLength(600);
    // A second flush (another replica, a later timer) writes nothing more.
    expect(await limited.runtime.engine.flushRefusalCounts()).toBe(0);

    console.info(
      `Redis growth for 600 refused clicks: keys ${before.keys} B before, ${after.keys} B after; used_memory ${before.used} B before, ${after.used} B after`,
    );
    expect(after.keys).toBeLessThan(before.keys / 20);
  });

  it('40 refused clicks on one card: no reply per click, one line in the thread, no card re-render', async () => {
    const e2e = await start({ limits: { refusalsPerUserPerMinute: 100 } });
    const { jobId, card } = await e2e.pendingCard();

    await clicks(e2e, jobId, strangers(40));
    // Before the interval ends the thread is untouched; each person was told privately.
    expect(e2e.thread(card)).toHaveLength(0);
    expect(e2e.slack.ephemerals()).toHaveLength(40);
    e2e.runtime.slack.cards.flushRefusalEchoes();
    await e2e.settled();

    const replies = e2e.thread(card);
    expect(replies).toHaveLength(1);
    expect(textOf(replies[0])).toContain('40 refused attempts in the last minute');
    expect(updatesOf(e2e.slack, card.ts)).toHaveLength(0);
  });

  it('40 late clicks by an approver on a decided card re-render it at most once', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    const updatesAfterDecision = updatesOf(e2e.slack, card.ts).length;
    const threadAfterDecision = e2e.thread(card).length;

    await clicks(
      e2e,
      jobId,
      Array.from({ length: 40 }, () => BOB),
    );
    e2e.runtime.slack.cards.flushRefusalEchoes();
    await e2e.settled();

    expect(updatesOf(e2e.slack, card.ts).length - updatesAfterDecision).toBeLessThanOrEqual(1);
    expect(e2e.thread(card).length - threadAfterDecision).toBe(1);
    expect(e2e.slack.ephemerals().filter((m) => m.user === BOB.id)).toHaveLength(40);
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
  });

  it('20 concurrent refused clicks: the thread shows each audit entry exactly once', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();

    await clicks(e2e, jobId, strangers(20), 20);
    e2e.runtime.slack.cards.flushRefusalEchoes();
    await e2e.settled();

    const entries = await denied(e2e, jobId);
    expect(entries).toHaveLength(20);
    const echoed = e2e.thread(card).map(textOf).join('\n');
    for (const entry of entries) {
      const mentions = echoed.split(`#${entry.jobSeq} `).length - 1;
      // Each line appears in the blocks and once in no other place; the fallback text is only a count.
      expect(mentions, `#${entry.jobSeq}`).toBe(1);
    }
    // Before: 326 audit lines were echoed for these 20 clicks.
    expect(echoed.match(/was refused/g)).toHaveLength(20);
  });

  it('a new card is posted before refusal echoes queued earlier', async () => {
    // Paced like Slack (about a post a second), so the echoes are still queued while the next poll runs.
    const e2e = await start({ postIntervalMs: 1_500 });
    const jobIds = [0, 1, 2].map(() => e2e.cos.createSuspendedJob('ap-guangzhou'));
    await e2e.poll();
    for (const jobId of jobIds) await clicks(e2e, jobId, strangers(5));
    const postsBefore = e2e.slack.callsTo('chat.postMessage').length;

    e2e.runtime.slack.cards.flushRefusalEchoes();
    const newJob = e2e.cos.createSuspendedJob('ap-guangzhou');
    await e2e.poll();

    const posts = e2e.slack.callsTo('chat.postMessage').slice(postsBefore);
    const kinds = posts.map((c) => (c.params.thread_ts ? 'echo' : 'card'));
    expect(kinds.filter((k) => k === 'echo')).toHaveLength(3);
    // At most the echo already in flight goes before the new card.
    expect(kinds.indexOf('card')).toBeLessThanOrEqual(1);
    expect(e2e.cardFor(newJob)).toBeDefined();
  });
});

describe('untrusted text from COS', () => {
  it('a hostile COS error code and request id reach /cosjob list escaped', async () => {
    const hostile = '<!channel>&<https://evil.example|Re-approve here>';
    let upstream = '';
    const proxy: Server = createServer(async (req, res) => {
      const host = req.headers.host ?? '';
      if (host.includes('ap-shanghai')) {
        const xml = `<?xml version="1.0"?><Error><Code>${escapeXml(hostile)}</Code><Message>no</Message><RequestId>${escapeXml(hostile)}</RequestId></Error>`;
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(xml);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await fetch(`${upstream}${req.url}`, {
        method: req.method ?? 'GET',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
        ),
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const e2e = await start({
        regions: ['ap-guangzhou', 'ap-shanghai'],
        cosEndpoint: `http://127.0.0.1:${port}`,
      });
      upstream = e2e.cos.emulator.url.replace(/\/$/, '');

      const answer = await e2e.command('list', ALICE);
      const shown = textOf(answer.responses[0]);
      expect(shown).toContain('Could not list');
      expect(shown).toContain('ap-shanghai');
      expect(shown).not.toContain('<!channel>');
      expect(shown).not.toContain('<https://evil.example');
      expect(shown).toContain('&lt;!channel&gt;');
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
