/**
 * Where cards go, end to end (real Bolt receiver, COS emulator, Redis, fake Slack): a job's card goes to
 * its rule's channel, else its account's, else SLACK_CHANNEL_ID; the choice is made once, when the job is
 * announced, and every thread reply follows the card, after a restart with other rules too. A burst is
 * counted per channel, and its digest goes to that channel.
 */
import { describe, expect, it } from 'vitest';
import { jobRefKey } from '../../../src/jobs/job-ref.js';
import { defaultRule } from '../../../src/rules/default-rule.js';
import type { Rule, RuleSet } from '../../../src/rules/types.js';
import type { SlackMessage } from '../../../src/slack/blocks/text.js';
import { copyJobInput } from '../../helpers/cos-fixture.js';
import type { StoredMessage } from '../../helpers/fake-slack.js';
import { approveValues } from '../../helpers/slack-messages.js';
import {
  ALICE,
  APPROVER_IDS,
  CHANNEL,
  type E2E,
  type E2EAccount,
  isDigest,
  REGIONS,
  textOf,
  useE2E,
} from './harness.js';

const { start } = useE2E();
const REGION = REGIONS[0];
const DELETES_CHANNEL = 'C0DELETES';
const MEDIA_CHANNEL = 'C0MEDIACARDS';

const DEFAULT = defaultRule(
  {
    approverUserIds: [...APPROVER_IDS],
    approverUsergroupIds: [],
    requiredApprovals: 1,
    requireCancelReason: true,
  },
  { pollIntervalSeconds: 60 },
);

function deletes(channel?: string): Rule {
  return {
    name: 'deletes',
    match: { operation: ['delete'] },
    requires: {
      approvals: 1,
      approvers: { users: [ALICE.id], groups: [] },
      requireReasonToApprove: false,
      requireReasonToCancel: true,
      ...(channel ? { channel } : {}),
    },
  };
}

const rulesOf = (...rules: Rule[]): RuleSet => ({ rules, defaultRule: DEFAULT });

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
  regions: [REGION],
  channel: MEDIA_CHANNEL,
};

/** A thread reply of plain text. */
const note = (text: string): SlackMessage => ({
  text,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
});

const DELETE_OPERATION = { operation: { kind: 'COSDeleteObject' as const } };

function jobOf(e2e: E2E, account: E2EAccount, operation: 'copy' | 'delete'): string {
  return e2e.cos.emulator.store.createJob(
    { uin: account.uin, region: REGION },
    copyJobInput(operation === 'delete' ? DELETE_OPERATION : {}),
    { status: 'Suspended', totalTasks: 1200 },
  ).id;
}

/** The top-level messages of `channel` whose buttons point at this job (digests included). */
function messagesOf(e2e: E2E, channel: string, account: string, jobId: string): StoredMessage[] {
  const value = jobRefKey({ account, region: REGION, jobId });
  return e2e.slack
    .messages(channel)
    .filter((m) => JSON.stringify(m.blocks ?? []).includes(`"value":"${value}"`));
}

function cardIn(e2e: E2E, channel: string, account: string, jobId: string): StoredMessage | undefined {
  return messagesOf(e2e, channel, account, jobId).find((m) => !isDigest(m));
}

const CHANNELS = [CHANNEL, MEDIA_CHANNEL, DELETES_CHANNEL];

/** The channels holding a card of this job. */
const channelsWithCard = (e2e: E2E, account: string, jobId: string) =>
  CHANNELS.filter((channel) => cardIn(e2e, channel, account, jobId) !== undefined);

describe('where cards go', () => {
  it("a rule's channel first, else the account's, else SLACK_CHANNEL_ID; the decision's echo lands in the card's thread there", async () => {
    const e2e = await start({ accounts: [STORAGE, MEDIA], rules: rulesOf(deletes(DELETES_CHANNEL)) });
    const storageCopy = jobOf(e2e, STORAGE, 'copy');
    const mediaCopy = jobOf(e2e, MEDIA, 'copy');
    const storageDelete = jobOf(e2e, STORAGE, 'delete');
    const mediaDelete = jobOf(e2e, MEDIA, 'delete');
    await e2e.poll();

    expect(channelsWithCard(e2e, 'storage', storageCopy)).toEqual([CHANNEL]);
    expect(channelsWithCard(e2e, 'media', mediaCopy)).toEqual([MEDIA_CHANNEL]);
    // The rule's channel wins over the account's.
    expect(channelsWithCard(e2e, 'storage', storageDelete)).toEqual([DELETES_CHANNEL]);
    expect(channelsWithCard(e2e, 'media', mediaDelete)).toEqual([DELETES_CHANNEL]);
    const card = cardIn(e2e, DELETES_CHANNEL, 'media', mediaDelete)!;
    expect(textOf(card)).toContain('Rule *deletes*');

    const response = await e2e.click(
      'cosjob_approve',
      { account: 'media', region: REGION, jobId: mediaDelete },
      ALICE,
      { messageTs: card.ts },
    );
    expect(response.status).toBe(200);
    await e2e.settled();
    expect(e2e.statusUpdates(mediaDelete)).toHaveLength(1);

    // The decision's echo is a reply in the card's own thread, in the rule's channel, nowhere else.
    const thread = e2e.slack.thread(DELETES_CHANNEL, card.ts);
    expect(thread.map(textOf).join('\n')).toContain('approved');
    for (const channel of [CHANNEL, MEDIA_CHANNEL]) {
      expect(e2e.slack.messages(channel).map(textOf).join('\n')).not.toContain(mediaDelete);
    }
    // The audit's posted entry names the channel the card is in.
    const posted = (await e2e.auditEntries(mediaDelete, REGION, 'media')).find((e) => e.action === 'posted');
    expect(posted?.outcome).toBe(`card ${DELETES_CHANNEL}/${card.ts}`);
    // The channel chosen at announcement is on the job's record.
    const record = await e2e.runtime.engine.jobRecord({
      account: 'media',
      region: REGION,
      jobId: mediaDelete,
    });
    expect(record?.channel).toBe(DELETES_CHANNEL);
    expect(record?.card).toEqual({ channel: DELETES_CHANNEL, ts: card.ts });
  });

  it("a reply queued right after its card lands in the card's thread in the rule's channel, and still does after a restart without that channel", async () => {
    const first = await start({ rules: rulesOf(deletes(DELETES_CHANNEL)), postIntervalMs: 50 });
    const jobId = first.cos.createSuspendedJob(REGION, DELETE_OPERATION);
    const ref = { account: first.account, region: REGION, jobId };
    await first.runtime.engine.watcher.pollOnce();
    // Queued before the card has been posted (the poster is paced): it must wait behind the card.
    first.runtime.slack.cards.reply(ref, note('right behind the card'));
    await first.settled();

    const card = cardIn(first, DELETES_CHANNEL, first.account, jobId);
    expect(card).toBeDefined();
    expect(first.slack.thread(DELETES_CHANNEL, card!.ts).map((m) => m.text)).toEqual([
      'right behind the card',
    ]);
    expect(first.slack.messages(CHANNEL)).toEqual([]);

    // cosjob restarts with a rule that names no channel: the card stays where it is, and so do replies.
    await first.stopRuntime();
    const second = await start({ rules: rulesOf(deletes()), shareWith: first });
    second.runtime.slack.cards.reply(ref, note('after the restart'));
    second.runtime.slack.cards.reply(ref, note('and the one after'));
    await second.settled();
    expect(second.slack.thread(DELETES_CHANNEL, card!.ts).map((m) => m.text)).toEqual([
      'right behind the card',
      'after the restart',
      'and the one after',
    ]);
    expect(second.slack.messages(CHANNEL)).toEqual([]);
    expect(second.slack.messages(DELETES_CHANNEL).filter((m) => !isDigest(m))).toHaveLength(1);
  });

  it("a job never announced (approved by /cosjob first) gets its card and replies in its rule's channel", async () => {
    const e2e = await start({ rules: rulesOf(deletes(DELETES_CHANNEL)) });
    const jobId = e2e.cos.createSuspendedJob(REGION, DELETE_OPERATION);
    const result = await e2e.command(`approve ${jobId}`, ALICE);
    expect(result.status).toBe(200);
    await e2e.settled();

    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    const card = cardIn(e2e, DELETES_CHANNEL, e2e.account, jobId);
    expect(card).toBeDefined();
    expect(e2e.slack.thread(DELETES_CHANNEL, card!.ts).length).toBeGreaterThan(0);
    expect(e2e.slack.messages(CHANNEL).map(textOf).join('\n')).not.toContain(jobId);
  });

  it("a burst of more than 5 jobs under a rule with a channel gets its digest in that channel; the other channel's few jobs only cards", async () => {
    const e2e = await start({ regions: [REGION], rules: rulesOf(deletes(DELETES_CHANNEL)) });
    const deleteJobs = Array.from({ length: 6 }, () => e2e.cos.createSuspendedJob(REGION, DELETE_OPERATION));
    const copyJobs = Array.from({ length: 5 }, () => e2e.cos.createSuspendedJob(REGION));
    await e2e.poll();

    const inRuleChannel = e2e.slack.messages(DELETES_CHANNEL);
    // The digest first, with every delete job on a row, then the six cards.
    expect(inRuleChannel.map(isDigest)).toEqual([true, false, false, false, false, false, false]);
    expect(approveValues(inRuleChannel[0]!).sort()).toEqual(deleteJobs.map((id) => `${REGION}|${id}`).sort());
    for (const jobId of deleteJobs)
      expect(channelsWithCard(e2e, e2e.account, jobId)).toEqual([DELETES_CHANNEL]);

    // Five copy jobs in SLACK_CHANNEL_ID are not a burst there: cards only.
    const inApprovalChannel = e2e.slack.messages(CHANNEL);
    expect(inApprovalChannel.filter(isDigest)).toEqual([]);
    expect(inApprovalChannel).toHaveLength(5);
    for (const jobId of copyJobs) expect(channelsWithCard(e2e, e2e.account, jobId)).toEqual([CHANNEL]);
  });
});
