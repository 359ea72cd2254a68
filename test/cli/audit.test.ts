import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MISSING_KEY_HINT } from '../../src/cli/audit.js';
import { GROUPS_NEED_SLACK_HINT } from '../../src/cli/decisions.js';
import { runCli } from '../../src/cli/main.js';
import { type CosFixture, startCosFixture, TEST_ACCOUNT } from '../helpers/cos-fixture.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { useRedis } from '../helpers/redis.js';

const redisCtx = useRedis();
let cos: CosFixture;

beforeEach(async () => {
  cos = await startCosFixture({ regions: ['ap-guangzhou'] });
});
afterEach(async () => {
  await cos.close();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    COS_SECRET_ID: TEST_ACCOUNT.secretId,
    COS_SECRET_KEY: TEST_ACCOUNT.secretKey,
    COS_APPID: TEST_ACCOUNT.appId,
    COS_UIN: TEST_ACCOUNT.uin,
    COS_REGIONS: 'ap-guangzhou',
    COS_ENDPOINT: cos.emulator.url,
    REDIS_URL: redisCtx.url,
    REDIS_KEY_PREFIX: redisCtx.keyPrefix,
    APPROVER_USER_IDS: 'UOPS1,UOPS2',
    AUDIT_HMAC_KEY: 'cli-test-hmac-key-0123456789abcdef',
    ...extra,
  };
}

async function cli(argv: string[], environment = env()) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, environment, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('cosjob approve / cancel / audit', () => {
  it('approves through the engine, then shows, verifies and exports the trail', async () => {
    // The CLI's clock is the system clock; the emulator's is the fixture's, set to now.
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const approved = await cli([
      'approve',
      jobId,
      '--as',
      'UOPS1',
      '--name',
      'Ops One',
      '--reason',
      'change 42',
    ]);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^approved: /);
    const job = cos.emulator.store.getJob('ap-guangzhou', jobId)!;
    expect(job.status).toBe('Ready');
    expect(job.statusUpdateReason).toBe('approved by Ops One (UOPS1) via cosjob CLI: change 42');

    const shown = await cli(['audit', 'show', jobId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('approve_requested');
    expect(shown.stdout).toContain('approved');
    expect(shown.stdout).toMatch(/✔ job .*: 2 entries, chain intact/);

    const json = JSON.parse((await cli(['audit', 'show', jobId, '--json'])).stdout) as {
      entries: unknown[];
      verify: { ok: boolean };
    };
    expect(json.entries).toHaveLength(2);
    expect(json.verify.ok).toBe(true);

    const exported = await cli(['audit', 'export', '--from', new Date(Date.now() - 60_000).toISOString()]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { jobId: string; action: string });
    expect(lines.map((l) => l.action)).toEqual(['approve_requested', 'approved']);

    expect((await cli(['audit', 'verify'])).code).toBe(0);
    // Without the bot's key the chain does not verify: someone with only Redis access cannot forge it.
    const { AUDIT_HMAC_KEY: _key, ...keyless } = env();
    expect((await cli(['audit', 'verify'], keyless)).code).toBe(1);
  });

  it('names a tampered entry and exits 1', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    await cli(['cancel', jobId, '--as', 'UOPS2', '--reason', 'duplicate']);
    const raw = new Redis(redisCtx.url);
    try {
      const keys = await raw.keys(`{${redisCtx.keyPrefix}:audit}:log`);
      const [first] = (await raw.xrange(keys[0]!, '-', '+', 'COUNT', 1)) as [string, string[]][];
      await raw.xdel(keys[0]!, first![0]);
    } finally {
      raw.disconnect();
    }
    const verified = await cli(['audit', 'verify']);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/✘ global chain: (removed|inserted)/);
  });

  it('refuses a reason with control characters with exit 2, before any intent or audit entry', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const refused = await cli(['cancel', jobId, '--as', 'UOPS1', '--reason', 'bad\u0000reason\u001b[0m']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('control characters');
    expect(refused.stderr).not.toMatch(/unavailable/i);
    expect(cos.emulator.stats.statusUpdates).toHaveLength(0);
    const shown = JSON.parse((await cli(['audit', 'show', jobId, '--json'])).stdout) as {
      entries: unknown[];
    };
    expect(shown.entries).toEqual([]);
  });

  it('refuses a non-approver, a missing --as and a cancel without a reason, with exit codes', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const stranger = await cli(['approve', jobId, '--as', 'UNOBODY']);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/refused: .*not an approver/);
    expect((await cli(['approve', jobId])).code).toBe(2);
    const noReason = await cli(['cancel', jobId, '--as', 'UOPS1']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/reason is required/);
    expect((await cli(['approve', '../etc', '--as', 'UOPS1'])).code).toBe(2);
    expect(cos.emulator.store.getJob('ap-guangzhou', jobId)!.status).toBe('Suspended');
    expect(cos.emulator.stats.statusUpdates).toHaveLength(0);
    const missing = await cli(['approve', jobId, '--as', 'UOPS1'], {
      ...env(),
      APPROVER_USER_IDS: '',
      COS_APPID: 'abc',
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/COS_APPID is malformed/);
    expect(missing.stderr).toMatch(/APPROVER_USER_IDS and APPROVER_USERGROUP_IDS are both empty/);
    expect(missing.stderr).not.toContain(TEST_ACCOUNT.secretKey);
  });
});

describe('approval rules from the CLI', () => {
  it('applies the COSJOB_CONFIG rule of the job: a delete job needs two approvers, as in Slack', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cosjob-cli-rules-')), 'cosjob.yml');
    writeFileSync(
      file,
      ['rules:', '  - name: deletes', '    match: { operation: [delete] }', '    approvals: 2', ''].join(
        '\n',
      ),
    );
    const environment = { ...env(), COSJOB_CONFIG: file };
    const jobId = cos.createSuspendedJob('ap-guangzhou', { operation: { kind: 'COSDeleteObject' } });

    const first = await cli(['approve', jobId, '--as', 'UOPS1'], environment);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('1 of 2');
    expect(cos.emulator.stats.statusUpdates).toHaveLength(0);

    const second = await cli(['approve', jobId, '--as', 'UOPS2'], environment);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^approved: /);
    expect(cos.emulator.stats.statusUpdates).toHaveLength(1);
    const trail = await shownTrail(jobId, environment);
    expect(trail.entries.map((e) => [e.action, e.rule])).toEqual([
      ['approve_vote', 'deletes'],
      ['approve_vote', 'deletes'],
      ['approve_requested', 'deletes'],
      ['approved', 'deletes'],
    ]);
  });
});

interface ShownTrail {
  entries: { action: string; source?: string; actor: { id: string }; rule?: string }[];
  verify: { ok: boolean; problem?: { kind: string } };
  hint?: string;
}

async function shownTrail(jobId: string, environment = env()): Promise<ShownTrail> {
  return JSON.parse((await cli(['audit', 'show', jobId, '--json'], environment)).stdout) as ShownTrail;
}

describe('where a CLI decision came from', () => {
  it('records the OS user and host next to the self-declared --as actor', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const approved = await cli(['approve', jobId, '--as', 'UOPS1']);
    expect(approved.code).toBe(0);
    const trail = await shownTrail(jobId);
    expect(trail.entries.length).toBeGreaterThan(0);
    for (const entry of trail.entries) {
      expect(entry.actor.id).toBe('UOPS1');
      expect(entry.source).toBe(`cli (${userInfo().username}@${hostname()})`);
    }
  });
});

describe('approver user groups from the CLI', () => {
  const BOT_TOKEN = 'xoxb-cli-test-0000-abcdef';
  let slack: FakeSlack;

  beforeEach(async () => {
    slack = await startFakeSlack({ expectedToken: BOT_TOKEN, usergroups: { S0OPSGRP: ['UGROUPIE'] } });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('resolves APPROVER_USERGROUP_IDS with usergroups.users.list when SLACK_BOT_TOKEN is set', async () => {
    const groups = env({
      APPROVER_USER_IDS: '',
      APPROVER_USERGROUP_IDS: 'S0OPSGRP',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.apiUrl,
    });
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const outsider = await cli(['approve', jobId, '--as', 'UOUTSIDER'], groups);
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toMatch(/refused: .*not an approver/);
    expect(outsider.stderr).not.toContain(GROUPS_NEED_SLACK_HINT);

    const member = await cli(['approve', jobId, '--as', 'UGROUPIE'], groups);
    expect(member.stderr).toBe('');
    expect(member.code).toBe(0);
    expect(cos.emulator.store.getJob('ap-guangzhou', jobId)!.status).toBe('Ready');
    const lookups = slack.callsTo('usergroups.users.list');
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(lookups.every((call) => call.params.usergroup === 'S0OPSGRP')).toBe(true);
    expect(lookups.every((call) => call.token?.matches(BOT_TOKEN))).toBe(true);
  });

  it('says group members must use Slack when groups are configured without a bot token', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const result = await cli(
      ['approve', jobId, '--as', 'UGROUPIE'],
      env({ APPROVER_USER_IDS: '', APPROVER_USERGROUP_IDS: 'S0OPSGRP' }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused: .*not an approver/);
    expect(result.stderr).toContain(GROUPS_NEED_SLACK_HINT);
    expect(slack.calls).toHaveLength(0);
    expect(cos.emulator.store.getJob('ap-guangzhou', jobId)!.status).toBe('Suspended');
  });

  it('refuses a malformed SLACK_BOT_TOKEN by name without echoing it', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    const result = await cli(
      ['approve', jobId, '--as', 'UOPS1'],
      env({ APPROVER_USERGROUP_IDS: 'S0OPSGRP', SLACK_BOT_TOKEN: 'xoxp-user-token-secret' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SLACK_BOT_TOKEN is malformed/);
    expect(result.stderr).not.toContain('xoxp-user-token-secret');
  });
});

describe('verifying without the bot key', () => {
  it('hints at AUDIT_HMAC_KEY when a keyed chain reads as edited without a key', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    expect((await cli(['approve', jobId, '--as', 'UOPS1'])).code).toBe(0);
    const { AUDIT_HMAC_KEY: _key, ...keyless } = env();

    const global = await cli(['audit', 'verify'], keyless);
    expect(global.code).toBe(1);
    expect(global.stdout).toMatch(/✘ global chain: edited/);
    expect(global.stdout).toContain(MISSING_KEY_HINT);

    const job = await cli(['audit', 'verify', jobId], keyless);
    expect(job.code).toBe(1);
    expect(job.stdout).toContain(MISSING_KEY_HINT);

    const shown = await cli(['audit', 'show', jobId], keyless);
    expect(shown.stdout).toMatch(/✘ job .*: edited[\s\S]*hint: if the bot runs with AUDIT_HMAC_KEY/);
    expect((await shownTrail(jobId, keyless)).hint).toBe(MISSING_KEY_HINT);

    // With the key the chain is intact and there is nothing to hint at.
    const keyed = await cli(['audit', 'verify']);
    expect(keyed.code).toBe(0);
    expect(keyed.stdout).not.toContain('hint:');
    expect(await shownTrail(jobId)).not.toHaveProperty('hint');
  });

  it('gives no key hint when the trail was checked with a key and still fails', async () => {
    const jobId = cos.createSuspendedJob('ap-guangzhou');
    await cli(['approve', jobId, '--as', 'UOPS1']);
    const wrongKey = await cli(['audit', 'verify'], env({ AUDIT_HMAC_KEY: 'another-key-0123456789abcdef' }));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/✘ global chain: edited/);
    expect(wrongKey.stdout).not.toContain(MISSING_KEY_HINT);
  });
});
