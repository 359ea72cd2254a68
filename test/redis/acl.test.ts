/**
 * The README's ACL for the bot's Redis user, applied to a real redis-server: the bot can append to and
 * read the audit trail and use its engine keys freely, but cannot delete, trim, rename or expire audit keys.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisAuditTrail } from '../../src/audit/trail.js';
import { silentLogger } from '../../src/logger.js';
import { botAclRules, botAclSetUserCommand } from '../../src/redis/acl.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from '../../src/redis/connection.js';
import { KeySpace } from '../../src/redis/keys.js';
import {
  EXTERNAL_SERVER_SKIP_REASON,
  redisTestsUseExternalServer,
  startRedisServer,
  type TestRedisServer,
} from '../helpers/redis.js';

const REGION = 'ap-guangzhou';
const JOB = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';

describe('bot ACL', () => {
  let server: TestRedisServer | undefined;
  let admin: Redis | undefined;
  let bot: RedisClient | undefined;
  const keys = new KeySpace('cosjob');

  beforeEach(async (ctx) => {
    // Creating users on a shared server would be intrusive: this test needs its own.
    ctx.skip(redisTestsUseExternalServer(), EXTERNAL_SERVER_SKIP_REASON);
    server = await startRedisServer();
    admin = new Redis(server.url, { protocol: 2 });
    await admin.call('ACL', 'SETUSER', 'cosjob', 'reset', 'on', '>bot-password', ...botAclRules(keys));
    const warn = vi.spyOn(console, 'warn');
    bot = createRedis(
      { url: `redis://cosjob:bot-password@127.0.0.1:${server.port}`, keyPrefix: 'cosjob' },
      { role: 'decision', logger: silentLogger },
    );
    await waitForReady(bot, 5_000);
    // INFO is allowed, so ioredis' ready check ran instead of being skipped with a warning.
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
  afterEach(async () => {
    if (bot) await closeRedis(bot);
    admin?.disconnect();
    await server?.stop();
  });

  async function refused(...command: [string, ...(string | number)[]]): Promise<string> {
    const error = await bot!.call(...command).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error, `${command.join(' ')} should be refused`).toBeInstanceOf(Error);
    return error!.message;
  }

  it('lets the bot append, read and verify the audit trail', async () => {
    const trail = new RedisAuditTrail(bot!, { keys });
    const first = await trail.append({
      account: 'default',
      actor: { id: 'U1', name: 'A' },
      action: 'approve_vote',
      region: REGION,
      jobId: JOB,
    });
    const again = await trail.append({
      account: 'default',
      entryId: first.entryId,
      actor: { id: 'U1', name: 'A' },
      action: 'approve_vote',
      region: REGION,
      jobId: JOB,
    });
    expect(again).toEqual(first);
    await trail.append({
      account: 'default',
      actor: { id: 'system', name: 'cosjob' },
      action: 'approved',
      region: REGION,
      jobId: JOB,
    });
    expect(await trail.history({ account: 'default', region: REGION, jobId: JOB })).toHaveLength(2);
    expect(await trail.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 2 });
    expect(await trail.verify({ account: 'default', kind: 'job', region: REGION, jobId: JOB })).toMatchObject(
      {
        ok: true,
        entries: 2,
      },
    );
  });

  it('refuses deleting, trimming, renaming or expiring audit keys', async () => {
    const trail = new RedisAuditTrail(bot!, { keys });
    const written = await trail.append({
      account: 'default',
      actor: { id: 'U1', name: 'A' },
      action: 'posted',
      region: REGION,
      jobId: JOB,
    });
    const log = keys.auditLog();
    for (const command of [
      ['DEL', log],
      ['UNLINK', log],
      ['XDEL', log, written.streamId],
      ['XTRIM', log, 'MAXLEN', 0],
      [
        'XTRIM',
        keys.auditJobStream({ account: 'default', region: REGION, jobId: JOB }),
        'MINID',
        '9999999999999',
      ],
      ['RENAME', log, 'cosjob:moved'],
      ['EXPIRE', log, 1],
      ['HDEL', keys.auditHead(), 'seq'],
      ['DEL', keys.auditHead(), keys.auditEntryIds()],
      ['SET', keys.auditHead(), 'overwritten'],
      ['XSETID', log, '99999999999999-0'],
    ] as [string, ...(string | number)[]][]) {
      expect(await refused(...command)).toMatch(/NOPERM/);
    }
    // Scripts are checked command by command too, whichever keys they declare.
    expect(await refused('EVAL', "return redis.call('DEL', KEYS[1])", 1, log)).toMatch(/can't access|NOPERM/);
    expect(
      await refused(
        'EVAL',
        `return redis.call('XTRIM', '${log}', 'MAXLEN', 0)`,
        1,
        keys.jobClaim({ account: 'default', region: REGION, jobId: JOB }),
      ),
    ).toMatch(/can't access|NOPERM/);
    // Server-wide destruction is out too.
    for (const command of [
      ['FLUSHALL'],
      ['FLUSHDB'],
      ['CONFIG', 'SET', 'appendonly', 'no'],
      ['SWAPDB', 0, 1],
    ] as [string, ...(string | number)[]][]) {
      expect(await refused(...command)).toMatch(/NOPERM/);
    }
    // Nothing was lost.
    expect(await admin!.xlen(log)).toBe(1);
    expect(await trail.verify({ kind: 'global' })).toMatchObject({ ok: true, entries: 1 });
  });

  it('leaves the engine keys fully usable, including DEL', async () => {
    const claim = keys.jobClaim({ account: 'default', region: REGION, jobId: JOB });
    expect(await bot!.call('SET', claim, 'U1', 'NX', 'PX', 30_000)).toBe('OK');
    expect(await bot!.call('DEL', claim)).toBe(1);
    expect(await bot!.call('SET', keys.leader('cos-poller'), 'me', 'PX', 1_000)).toBe('OK');
    expect(
      await bot!.call('SADD', keys.jobVotes({ account: 'default', region: REGION, jobId: JOB }), 'U1'),
    ).toBe(1);
    expect(await bot!.call('DEL', keys.jobVotes({ account: 'default', region: REGION, jobId: JOB }))).toBe(1);
    // Keys outside the prefix are not the bot's business.
    expect(await refused('SET', 'someone-else:key', 'x')).toMatch(/NOPERM/);
  });

  it('matches hash-tagged keys literally: a pattern without the brace does not cover them', async () => {
    // `~cosjob:*` alone would leave every `{cosjob:…}` key out: prove it with a user that has only that.
    await admin!.call('ACL', 'SETUSER', 'narrow', 'reset', 'on', '>narrow-password', '~cosjob:*', '+@all');
    const narrow = new Redis(`redis://narrow:narrow-password@127.0.0.1:${server!.port}`, { protocol: 2 });
    try {
      expect(await narrow.set('cosjob:plain', 'x')).toBe('OK');
      await expect(narrow.xlen(keys.auditLog())).rejects.toThrow(/NOPERM/);
    } finally {
      narrow.disconnect();
    }
  });

  it('the README command line sets up the same user through redis-cli', async (ctx) => {
    let hasCli = true;
    try {
      execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    } catch {
      hasCli = false;
    }
    ctx.skip(!hasCli, 'redis-cli is not on the PATH');
    const line = botAclSetUserCommand(keys, 'readme-bot', 'readme-password');
    expect(line).toMatch(/^ACL SETUSER readme-bot reset on '>readme-password' /);
    // Through a shell, exactly as an operator would paste it (in the server's temp dir, so a quoting
    // mistake cannot drop files into the repository).
    const output = execFileSync('sh', ['-c', `redis-cli -h 127.0.0.1 -p ${server!.port} ${line}`], {
      encoding: 'utf8',
      cwd: server!.dir,
    });
    expect(output.trim()).toBe('OK');
    const described = (await admin!.call('ACL', 'GETUSER', 'readme-bot')) as unknown[];
    const original = (await admin!.call('ACL', 'GETUSER', 'cosjob')) as unknown[];
    const withoutPasswords = (reply: unknown[]) => {
      const copy = [...reply];
      copy.splice(copy.indexOf('passwords'), 2);
      return copy;
    };
    expect(withoutPasswords(described)).toEqual(withoutPasswords(original));
  });
});
