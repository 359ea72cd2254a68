/**
 * Several Tencent Cloud accounts (issue 11), end to end: two accounts on one emulator, each with its own
 * key, and one job each. The emulator checks every signature against the account the request names, so
 * a job asked about with the other account's key would be refused (403) and its call logged under the
 * wrong UIN; the statusUpdates log shows which account's key signed each UpdateJobStatus.
 */
import { describe, expect, it } from 'vitest';
import { jobRefKey } from '../../../src/jobs/job-ref.js';
import { KeySpace } from '../../../src/redis/keys.js';
import { ACTION_IDS } from '../../../src/slack/blocks/ids.js';
import { copyJobInput } from '../../helpers/cos-fixture.js';
import type { StoredMessage } from '../../helpers/fake-slack.js';
import { ALICE, CHANNEL, type E2E, type E2EAccount, useE2E } from './harness.js';

const REGION = 'ap-guangzhou';
const STORAGE: E2EAccount = {
  name: 'storage',
  uin: '300000000003',
  appId: '1270000000',
  secretId: 'AKIDstorageTeamKey0003',
  secretKey: 'storage-team-secret-key-0003',
  regions: [REGION],
};
const MEDIA: E2EAccount = {
  name: 'media',
  uin: '400000000004',
  appId: '1280000000',
  secretId: 'AKIDmediaTeamKey000004',
  secretKey: 'media-team-secret-key-000004',
  regions: [REGION, 'ap-shanghai'],
  channel: 'C0MEDIACARDS',
};

const harness = useE2E();

function suspendedJob(e2e: E2E, account: E2EAccount, id?: string): string {
  return e2e.cos.emulator.store.createJob({ uin: account.uin, region: REGION }, copyJobInput(), {
    status: 'Suspended',
    totalTasks: 1200,
    ...(id ? { id } : {}),
  }).id;
}

/** The card whose buttons point at this job of this account, in the channel given. */
function cardOf(e2e: E2E, channel: string, account: string, jobId: string): StoredMessage | undefined {
  const value = jobRefKey({ account, region: REGION, jobId });
  return e2e.slack
    .messages(channel)
    .find((m) => JSON.stringify(m.blocks ?? []).includes(`"value":"${value}"`));
}

function text(answer: { text?: string; blocks?: unknown[] } | undefined): string {
  return JSON.stringify(answer ?? {});
}

describe('several accounts', () => {
  it("approves one job in each account with that account's own key, never the other's", async () => {
    const e2e = await harness.start({ accounts: [STORAGE, MEDIA] });
    const storageJob = suspendedJob(e2e, STORAGE);
    const mediaJob = suspendedJob(e2e, MEDIA);
    await e2e.poll();

    // Each card names its account and carries it in its button values; media's goes to media's channel.
    const storageCard = cardOf(e2e, CHANNEL, 'storage', storageJob);
    const mediaCard = cardOf(e2e, MEDIA.channel!, 'media', mediaJob);
    expect(storageCard).toBeDefined();
    expect(mediaCard).toBeDefined();
    expect(cardOf(e2e, CHANNEL, 'media', mediaJob)).toBeUndefined();
    expect(JSON.stringify(storageCard!.blocks)).toContain('Account *storage* · ap-guangzhou');
    expect(JSON.stringify(mediaCard!.blocks)).toContain('Account *media* · ap-guangzhou');

    for (const [account, jobId, card] of [
      ['storage', storageJob, storageCard!],
      ['media', mediaJob, mediaCard!],
    ] as const) {
      const response = await e2e.click(ACTION_IDS.approve, { account, region: REGION, jobId }, ALICE, {
        messageTs: card.ts,
      });
      expect(response.status).toBe(200);
    }
    await e2e.settled();

    expect(e2e.cos.emulator.store.getJob({ uin: STORAGE.uin, region: REGION }, storageJob)?.status).toBe(
      'Ready',
    );
    expect(e2e.cos.emulator.store.getJob({ uin: MEDIA.uin, region: REGION }, mediaJob)?.status).toBe('Ready');
    // The emulator verified each call against the account its host names: each job's one status update
    // came from its own account, and no call anywhere was refused for a wrong key.
    expect(e2e.statusUpdates().map((u) => [u.jobId, u.uin, u.httpStatus])).toEqual(
      expect.arrayContaining([
        [storageJob, STORAGE.uin, 200],
        [mediaJob, MEDIA.uin, 200],
      ]),
    );
    expect(e2e.statusUpdates()).toHaveLength(2);
    for (const api of ['ListJobs', 'DescribeJob', 'UpdateJobStatus'] as const) {
      expect(e2e.cos.emulator.stats.responseCount(api, 403)).toBe(0);
    }

    // The audit records the account on every entry, in the account's own job chain.
    const storageTrail = await e2e.auditEntries(storageJob, REGION, 'storage');
    expect(storageTrail.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['posted', 'approve_requested', 'approved']),
    );
    expect(new Set(storageTrail.map((entry) => entry.account))).toEqual(new Set(['storage']));
    expect(
      (await e2e.auditEntries(mediaJob, REGION, 'media')).every((entry) => entry.account === 'media'),
    ).toBe(true);
    expect(await e2e.auditEntries(storageJob, REGION, 'default')).toEqual([]);
    const keys = new KeySpace(e2e.config.redis.keyPrefix);
    expect(
      await e2e.runtime.redis.exists(
        keys.jobRecord({ account: 'storage', region: REGION, jobId: storageJob }),
      ),
    ).toBe(1);
    expect(await e2e.runtime.redis.sismember(keys.tracked(), `media|${REGION}|${mediaJob}`)).toBe(1);
    expect((await e2e.runtime.audit.verify({ kind: 'global' })).ok).toBe(true);
  });

  it('asks for --account when a JobId exists in both accounts, and refuses an unknown account', async () => {
    const e2e = await harness.start({ accounts: [STORAGE, MEDIA] });
    const shared = 'same-id-in-two-accounts';
    suspendedJob(e2e, STORAGE, shared);
    suspendedJob(e2e, MEDIA, shared);

    const ambiguous = await e2e.command(`status ${shared}`, ALICE);
    const refusal = text(ambiguous.responses[0]);
    expect(refusal).toContain('not done');
    expect(refusal).toMatch(/several accounts \(storage, media/);
    expect(refusal).toContain('--account A');

    const media = await e2e.command(`status ${shared} --account media`, ALICE);
    const status = text(media.responses[0]);
    expect(status).toContain(`Job ${shared}`);
    expect(status).toContain('*Account*\\nmedia');
    expect(status).toContain(jobRefKey({ account: 'media', region: REGION, jobId: shared }));

    const unknown = await e2e.command(`approve ${shared} --account nosuch`, ALICE);
    const unknownText = text(unknown.ack);
    expect(unknownText).toContain('Account nosuch is not one cosjob watches. Configured: storage, media.');

    // Approving with --account acts on that account's job only.
    const approved = await e2e.command(`approve ${shared} --account storage`, ALICE);
    expect(text(approved.responses.at(-1))).toContain('Approved');
    expect(e2e.cos.emulator.store.getJob({ uin: STORAGE.uin, region: REGION }, shared)?.status).toBe('Ready');
    expect(e2e.cos.emulator.store.getJob({ uin: MEDIA.uin, region: REGION }, shared)?.status).toBe(
      'Suspended',
    );
    expect(e2e.statusUpdates(shared).map((u) => u.uin)).toEqual([STORAGE.uin]);

    // `list` without --account lists both accounts' jobs, each with its own account's buttons.
    const listed = text((await e2e.command('list all', ALICE)).responses[0]);
    expect(listed).toContain(`storage/${REGION}`);
    expect(listed).toContain(`media/${REGION}`);
  });
});
