/** Every `/cosjob` subcommand, and every malformed form, through the real receiver. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyJobInput } from '../../helpers/cos-fixture.js';
import { useRedis } from '../../helpers/redis.js';
import { ALICE, CHANNEL, E2E, REGIONS, textOf } from './harness.js';

const redis = useRedis();
let e2e: E2E;

// One runtime for the file: each test makes its own jobs, and checks only those.
beforeAll(async () => {
  e2e = await E2E.start(redis, { keyPrefix: `cmds-${randomBytes(6).toString('hex')}` });
});
afterAll(async () => {
  await e2e?.close();
});

let suspendedGz: string;
let suspendedSh: string;
let activeGz: string;

beforeEach(() => {
  e2e.cos.emulator.store.deleteAll();
  e2e.cos.emulator.stats.reset();
  suspendedGz = e2e.cos.createSuspendedJob(REGIONS[0]);
  suspendedSh = e2e.cos.createSuspendedJob(REGIONS[1]);
  activeGz = e2e.cos.emulator.store.createJob(REGIONS[0], copyJobInput(), {
    status: 'Active',
    totalTasks: 10,
  }).id;
});

function only<T>(list: T[]): T {
  expect(list).toHaveLength(1);
  return list[0]!;
}

describe('/cosjob subcommands', () => {
  it.each(['help', '', '  HELP  '])(
    'answers %j with the help, at once and only to the person',
    async (text) => {
      const result = await e2e.command(text, ALICE);
      expect(result.status).toBe(200);
      expect(result.ack?.response_type).toBe('ephemeral');
      const help = textOf(result.ack);
      for (const sub of ['list', 'status', 'approve', 'cancel', 'audit', '--region'])
        expect(help).toContain(sub);
      expect(result.responses).toHaveLength(0);
    },
  );

  it('lists the jobs awaiting approval in every region by default', async () => {
    const result = await e2e.command('list', ALICE);
    const answer = only(result.responses);
    expect(answer.response_type).toBe('ephemeral');
    const text = textOf(answer);
    expect(text).toContain(suspendedGz);
    expect(text).toContain(suspendedSh);
    expect(text).not.toContain(activeGz);
    expect(text).toContain('COS batch jobs (2)');
  });

  it('lists all jobs, one status, or one region', async () => {
    const all = textOf(only((await e2e.command('list all', ALICE)).responses));
    for (const id of [suspendedGz, suspendedSh, activeGz]) expect(all).toContain(id);

    const active = textOf(only((await e2e.command('list active', ALICE)).responses));
    expect(active).toContain(activeGz);
    expect(active).not.toContain(suspendedGz);

    const shanghai = textOf(only((await e2e.command(`list --region ${REGIONS[1]}`, ALICE)).responses));
    expect(shanghai).toContain(suspendedSh);
    expect(shanghai).not.toContain(suspendedGz);

    const both = textOf(only((await e2e.command(`list all --region=${REGIONS[0]}`, ALICE)).responses));
    expect(both).toContain(activeGz);
    expect(both).not.toContain(suspendedSh);
  });

  it('shows a job’s status, finding its region by asking COS', async () => {
    const text = textOf(only((await e2e.command(`status ${suspendedSh}`, ALICE)).responses));
    expect(text).toContain(`Job ${suspendedSh}`);
    expect(text).toContain(REGIONS[1]);
    expect(text).toContain('Suspended');
    expect(e2e.statusUpdates()).toHaveLength(0);
  });

  it('approves a job (with an optional reason) and says so', async () => {
    const result = await e2e.command(`approve ${suspendedGz} checked the manifest`, ALICE);
    const text = textOf(only(result.responses));
    expect(text).toContain('✅ Approved');
    const job = e2e.job(suspendedGz);
    expect(job.status).toBe('Ready');
    expect(job.statusUpdateReason).toBe('approved by alice (UALICE) via Slack: checked the manifest');
    const actions = await e2e.auditActions(suspendedGz);
    expect(actions.slice(0, 2)).toEqual(['approve_requested', 'approved']);
    expect((await e2e.auditEntries(suspendedGz))[0]?.source).toBe('slash-command');
  });

  it('gives a job approved by command before any card its card, and threads what follows under it', async () => {
    await e2e.command(`approve ${suspendedGz}`, ALICE);
    const card = e2e.cardFor(suspendedGz);
    expect(card).toBeDefined();
    expect(textOf(card)).toContain('*Approved* by <@UALICE>');
    expect(textOf(e2e.thread(card!)[0])).toContain('approved the job');
    expect(await e2e.auditActions(suspendedGz)).toEqual(['approve_requested', 'approved', 'posted']);

    for (let i = 0; i < 100 && e2e.job(suspendedGz).status !== 'Complete'; i += 1) {
      e2e.cos.clock.advance(5_000);
      e2e.cos.emulator.tick();
      await e2e.poll();
    }
    await e2e.poll();
    // Progress and the summary went to the card's thread, not loose into the channel.
    expect(e2e.cards().filter((m) => textOf(m).includes(suspendedGz))).toHaveLength(1);
    expect(
      e2e
        .thread(card!)
        .map(textOf)
        .some((t) => t.includes('🏁 Complete')),
    ).toBe(true);
  });

  it('cancels a job with the reason typed after the JobId, spacing kept', async () => {
    const result = await e2e.command(`cancel ${suspendedSh} wrong  manifest --region ${REGIONS[1]}`, ALICE);
    expect(textOf(only(result.responses))).toContain('🛑 Cancelled');
    const job = e2e.job(suspendedSh, REGIONS[1]);
    expect(['Cancelling', 'Cancelled']).toContain(job.status);
    expect(job.statusUpdateReason).toBe('cancelled by alice (UALICE) via Slack: wrong  manifest');
  });

  it('opens the reason dialog for a cancel without a reason, and changes nothing yet', async () => {
    // Several regions and a job cosjob does not follow: no slow COS look-up before the dialog, ask for --region.
    const untracked = await e2e.command(`cancel ${suspendedGz}`, ALICE);
    expect(textOf(only(untracked.responses))).toContain('--region');
    const opensBefore = e2e.slack.callsTo('views.open').length;
    const result = await e2e.command(`cancel ${suspendedGz} --region ${REGIONS[0]}`, ALICE);
    expect(result.status).toBe(200);
    expect(result.responses).toHaveLength(0);
    const opened = e2e.slack.callsTo('views.open').slice(opensBefore);
    const view = only(opened).params.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('cosjob_cancel_reason');
    expect(JSON.parse(view.private_metadata)).toMatchObject({
      region: REGIONS[0],
      jobId: suspendedGz,
      channel: CHANNEL,
    });
    expect(e2e.statusUpdates(suspendedGz)).toHaveLength(0);
    expect(await e2e.auditActions(suspendedGz)).toEqual([]);
  });

  it('shows the audit trail with its verification', async () => {
    await e2e.command(`approve ${suspendedGz}`, ALICE);
    const text = textOf(only((await e2e.command(`audit ${suspendedGz}`, ALICE)).responses));
    expect(text).toContain(`Audit trail for job ${suspendedGz}`);
    expect(text).toContain('✅ Hash chain verified: 3 entries intact');
    expect(text).toContain('asked COS to start the job');
  });

  it('does not report a COS failure as a missing job', async () => {
    e2e.cos.emulator.faults.add({ api: 'DescribeJob', kind: 'status5xx', statusCode: 503, times: 100 });
    try {
      const text = textOf(only((await e2e.command(`status ${suspendedGz}`, ALICE)).responses));
      expect(text).toContain('could not be asked');
      expect(text).not.toContain('no job with that id');
    } finally {
      e2e.cos.emulator.faults.clear();
    }
  });

  it('asks for --region when the JobId exists in two regions', async () => {
    const twin = 'twin-0000-job-in-both-regions';
    for (const region of REGIONS) {
      e2e.cos.emulator.store.createJob(region, copyJobInput(), {
        status: 'Suspended',
        id: twin,
        totalTasks: 5,
      });
    }
    for (const text of [`status ${twin}`, `approve ${twin}`]) {
      const answer = textOf(only((await e2e.command(text, ALICE)).responses));
      expect(answer).toContain('several regions');
      expect(answer).toContain('--region');
    }
    expect(e2e.statusUpdates(twin)).toHaveLength(0);
    const approved = await e2e.command(`approve ${twin} --region ${REGIONS[1]}`, ALICE);
    expect(textOf(only(approved.responses))).toContain('✅ Approved');
    expect(e2e.job(twin, REGIONS[1]).status).toBe('Ready');
    expect(e2e.job(twin, REGIONS[0]).status).toBe('Suspended');
  });

  it('says a JobId nobody knows is not found, naming the regions searched', async () => {
    const answer = textOf(only((await e2e.command('approve nosuchjob0000', ALICE)).responses));
    expect(answer).toContain('no job with that id was found in ap-guangzhou, ap-shanghai');
    expect(e2e.statusUpdates()).toHaveLength(0);
  });
});

describe('/cosjob malformed forms', () => {
  const tooLong = `${'界'.repeat(85)}é`; // 257 bytes
  const cases: [string, () => string, RegExp, RegExp][] = [
    ['an unknown subcommand', () => 'frobnicate now', /Unknown subcommand "frobnicate"/, /\/cosjob list/],
    ['a missing JobId', () => 'approve', /`approve` needs a JobId/, /\/cosjob approve &lt;JobId&gt;/],
    ['a malformed JobId', () => 'status ../../etc', /is not a valid JobId/, /\/cosjob status &lt;JobId&gt;/],
    [
      'a reason over 256 bytes',
      () => `cancel ${suspendedGz} ${tooLong}`,
      /257 bytes/,
      /\/cosjob cancel &lt;JobId&gt;/,
    ],
    [
      'an unknown region',
      () => `list --region eu-frankfurt`,
      /eu-frankfurt is not one cosjob watches/,
      /Usage/,
    ],
    [
      'a malformed region',
      () => `status ${suspendedGz} --region Mars!`,
      /--region needs a region name/,
      /Usage/,
    ],
    [
      '--region twice',
      () => `approve ${suspendedGz} --region ${REGIONS[0]} --region ${REGIONS[1]}`,
      /only once/,
      /Usage/,
    ],
    ['an unknown flag', () => `list --verbose`, /Unknown option --verbose/, /--region R/],
    ['an unknown status', () => 'list sleeping', /Unknown status "sleeping"/, /\/cosjob list/],
    [
      'extra words after status',
      () => `status ${suspendedGz} please`,
      /takes only a JobId/,
      /\/cosjob status/,
    ],
  ];

  it.each(cases)(
    'answers %s with what was wrong and the usage, and acts on nothing',
    async (_l, text, why, usage) => {
      const cosBefore = e2e.cos.emulator.stats.totalRequests;
      const slackBefore = e2e.slack.calls.length;
      const result = await e2e.command(text(), ALICE);
      expect(result.status).toBe(200);
      expect(result.ack?.response_type).toBe('ephemeral');
      const answer = textOf(result.ack);
      expect(answer).toMatch(why);
      expect(answer).toMatch(usage);
      expect(answer).toContain('not done');
      expect(result.responses).toHaveLength(0);
      expect(e2e.cos.emulator.stats.totalRequests).toBe(cosBefore);
      expect(e2e.slack.calls.length).toBe(slackBefore);
      expect(await e2e.auditActions(suspendedGz)).toEqual([]);
    },
  );
});
