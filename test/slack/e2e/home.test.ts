/**
 * The Home tab through the real Bolt receiver: signed app_home_opened events and Home clicks in, views.publish
 * (stored and checked against Block Kit's Home limits by the fake Slack) out, with the COS emulator and
 * real Redis behind the engine.
 */
import { describe, expect, it } from 'vitest';
import {
  appHomeOpenedEnvelope,
  homeBlockActionPayload,
  postEventToBolt,
} from '../../helpers/home-requests.js';
import {
  ALICE,
  buttonsOf,
  type E2E,
  MALLORY,
  SIGNING_SECRET,
  type SlackUser,
  textOf,
  titleOf,
  updatesOf,
  useE2E,
} from './harness.js';

const { start } = useE2E();

interface HomeBlock {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { action_id?: string; value?: string; text?: string }[];
}

/** Opens the person's Home tab as Slack does and returns the view cosjob published. */
async function openHome(e2e: E2E, user: SlackUser): Promise<{ blocks: HomeBlock[]; publishes: number }> {
  const before = e2e.slack.homeView(user.id)?.publishes ?? 0;
  const response = await postEventToBolt(
    e2e.eventsUrl,
    SIGNING_SECRET,
    appHomeOpenedEnvelope({ userId: user.id }),
  );
  expect(response.status).toBe(200);
  await e2e.runtime.slack.home?.idle();
  const stored = e2e.slack.homeView(user.id);
  expect(stored?.publishes ?? 0).toBeGreaterThan(before);
  return { blocks: (stored?.view.blocks ?? []) as HomeBlock[], publishes: stored?.publishes ?? 0 };
}

/** A click on a button of the person's published Home tab, signed as Slack sends it. */
async function clickOnHome(e2e: E2E, actionId: string, value: string, user: SlackUser): Promise<Response> {
  const payload = homeBlockActionPayload({
    actionId,
    value,
    userId: user.id,
    userName: user.name,
    viewId: e2e.slack.homeView(user.id)?.id ?? 'V0HOME0001',
  });
  const response = await e2e.deliver(payload);
  await e2e.settled();
  await e2e.runtime.slack.home?.idle();
  return response;
}

function homeText(blocks: HomeBlock[]): string {
  return textOf({ blocks });
}

/** The button values on the Home tab by action id. */
function homeButtons(blocks: HomeBlock[]): { actionId: string; value: string }[] {
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => ({ actionId: e.action_id ?? '', value: e.value ?? '' }));
}

describe('The Home tab', () => {
  it('shows an approver the waiting job with the card buttons; Approve from Home approves, audits, updates the card and refreshes the Home', async () => {
    const e2e = await start();
    const region = e2e.regions[0]!;
    const { jobId, card } = await e2e.pendingCard(region);

    const home = await openHome(e2e, ALICE);
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    const text = homeText(home.blocks);
    expect(text).toContain('Waiting for approval (1)');
    expect(text).toContain(`*${region}* · 1 job waiting`);
    expect(text).toContain(jobId);
    expect(text).toContain('you may approve and cancel');
    expect(homeButtons(home.blocks)).toEqual([
      { actionId: 'cosjob_approve', value: `${region}|${jobId}` },
      { actionId: 'cosjob_cancel', value: `${region}|${jobId}` },
    ]);

    const response = await clickOnHome(e2e, 'cosjob_approve', `${region}|${jobId}`, ALICE);
    expect(response.status).toBe(200);

    expect(e2e.job(jobId, region).status).toBe('Ready');
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    const entries = await e2e.auditEntries(jobId, region);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'approve_requested', 'approved']);
    expect(entries[2]?.actor.id).toBe(ALICE.id);
    expect(entries[2]?.source).toBe('slack-button');
    // The card is updated although the click came from the Home tab, not from the card.
    expect(titleOf(updatesOf(e2e.slack, card.ts)[0])).toBe('⏳ COS batch job: approving…');
    const final = e2e.slack.message(e2e.config.slack.channelId, card.ts);
    expect(titleOf(final)).toBe('✅ COS batch job approved');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);
    expect(textOf(e2e.thread(card)[0])).toContain('approved the job');

    // The Home was published again after the decision: nothing waits, the decision is listed.
    const refreshed = e2e.slack.homeView(ALICE.id);
    expect(refreshed?.publishes).toBeGreaterThan(home.publishes);
    const after = (refreshed?.view.blocks ?? []) as HomeBlock[];
    expect(homeButtons(after)).toEqual([]);
    expect(homeText(after)).toContain('Waiting for approval (0)');
    expect(homeText(after)).toMatch(new RegExp(`✅ Approved \`${jobId}\` \\(${region}\\) by <@UALICE>`));
    // No ephemeral in the channel: the Home and the card say it.
    expect(e2e.slack.ephemerals()).toHaveLength(0);
  });

  it('shows a non-approver the jobs without buttons, and refuses a forged Home click as from a card', async () => {
    const e2e = await start();
    const region = e2e.regions[0]!;
    const { jobId, card } = await e2e.pendingCard(region);

    const home = await openHome(e2e, MALLORY);
    expect(homeText(home.blocks)).toContain(jobId);
    expect(homeText(home.blocks)).toContain('buttons are shown to approvers only');
    expect(home.blocks.some((b) => b.type === 'actions')).toBe(false);

    const response = await clickOnHome(e2e, 'cosjob_approve', `${region}|${jobId}`, MALLORY);
    expect(response.status).toBe(200);
    expect(e2e.job(jobId, region).status).toBe('Suspended');
    expect(e2e.statusUpdates()).toHaveLength(0);
    const entries = await e2e.auditEntries(jobId, region);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'denied']);
    expect(entries[1]?.actor.id).toBe(MALLORY.id);
    // The refusal is told on Mallory's Home (a Home click has no message or response_url).
    const answered = homeText((e2e.slack.homeView(MALLORY.id)?.view.blocks ?? []) as HomeBlock[]);
    expect(answered).toContain('not an approver');
    expect(answered).toContain('*What to do:*');
    expect(updatesOf(e2e.slack, card.ts).some((u) => titleOf(u).includes('⏳'))).toBe(false);
    expect(titleOf(e2e.cardFor(jobId))).toBe('🗂️ COS batch job awaiting approval');
  });

  it('opens the cancel dialog from Home for the job card, and cancels through the modal', async () => {
    const e2e = await start();
    const region = e2e.regions[0]!;
    const { jobId, card } = await e2e.pendingCard(region);
    await openHome(e2e, ALICE);

    await clickOnHome(e2e, 'cosjob_cancel', `${region}|${jobId}`, ALICE);
    const opened = e2e.slack.callsTo('views.open');
    expect(opened).toHaveLength(1);
    const modal = opened[0]?.params.view as { private_metadata: string };
    expect(JSON.parse(modal.private_metadata)).toMatchObject({ ts: card.ts, region, jobId });

    await e2e.submitCancel(modal.private_metadata, 'wrong manifest', ALICE);
    await e2e.settled();
    await e2e.runtime.slack.home?.idle();
    expect(e2e.job(jobId, region).status).toMatch(/Cancell/);
    expect(titleOf(e2e.slack.message(e2e.config.slack.channelId, card.ts))).toBe(
      '🛑 COS batch job cancelled',
    );
    const after = homeText((e2e.slack.homeView(ALICE.id)?.view.blocks ?? []) as HomeBlock[]);
    expect(after).toContain(`🛑 Cancelled \`${jobId}\``);
    expect(after).toContain('wrong manifest');
  });

  it('keeps within 100 blocks with more waiting jobs than fit: counts the rest and points to /cosjob list', async () => {
    const e2e = await start();
    const region = e2e.regions[0]!;
    const total = 60;
    const jobIds = Array.from({ length: total }, () => e2e.cos.createSuspendedJob(region));
    await e2e.poll();
    expect(e2e.cards()).toHaveLength(total);

    const home = await openHome(e2e, ALICE);
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    const text = homeText(home.blocks);
    expect(text).toContain(`Waiting for approval (${total})`);
    expect(text).toContain(`*${region}* · ${total} jobs waiting`);
    const shown = jobIds.filter((id) => text.includes(id));
    const approveButtons = homeButtons(home.blocks).filter((b) => b.actionId === 'cosjob_approve');
    expect(approveButtons).toHaveLength(shown.length);
    expect(shown.length).toBeGreaterThan(20);
    expect(shown.length).toBeLessThan(total);
    expect(text).toContain(
      `…and ${total - shown.length} more waiting jobs not shown here (${region}: ${total - shown.length})`,
    );
    expect(text).toContain('`/cosjob list`');

    // Without buttons (a non-approver) each job takes one block, so more fit, still within the limit.
    const other = await openHome(e2e, MALLORY);
    expect(other.blocks.length).toBeLessThanOrEqual(100);
    expect(jobIds.filter((id) => homeText(other.blocks).includes(id)).length).toBeGreaterThan(shown.length);
  });

  it('lists the last ten decisions, newest first, with who and when', async () => {
    const e2e = await start();
    const region = e2e.regions[0]!;
    const jobIds = Array.from({ length: 12 }, () => e2e.cos.createSuspendedJob(region));
    await e2e.poll();
    for (const jobId of jobIds.slice(0, 11)) {
      await e2e.click('cosjob_approve', { region, jobId }, ALICE);
      // Refusals in between do not push decisions out of the list.
      await e2e.click('cosjob_approve', { region, jobId }, MALLORY);
    }
    await e2e.command(`cancel ${jobIds[11]} duplicate job`, ALICE);
    await e2e.settled();

    const home = await openHome(e2e, MALLORY);
    const decisions = home.blocks.findIndex((b) => b.type === 'header' && b.text?.text === 'Last decisions');
    expect(decisions).toBeGreaterThan(0);
    const lines = (home.blocks[decisions + 1]?.text?.text ?? '').split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toContain(`🛑 Cancelled \`${jobIds[11]}\``);
    expect(lines[0]).toContain('by <@UALICE>');
    expect(lines[0]).toContain('duplicate job');
    expect(lines[0]).toMatch(/<!date\^\d+\^/);
    // Then the approvals, newest first; the two oldest are left out.
    for (let i = 1; i < 10; i++) expect(lines[i]).toContain(`✅ Approved \`${jobIds[11 - i]}\``);
    const text = homeText(home.blocks);
    expect(text).not.toContain(`Approved \`${jobIds[0]}\``);
    expect(text).not.toContain(`Approved \`${jobIds[1]}\``);
  });

  it("shows each region's poll health as the leader recorded it", async () => {
    const e2e = await start();
    const [first, second] = e2e.regions;

    const before = homeText((await openHome(e2e, ALICE)).blocks);
    expect(before).toContain(`⚪ *${first}*: no successful poll yet`);
    expect(before).toContain(`⚪ *${second}*: no successful poll yet`);

    await e2e.poll();
    const healthy = homeText((await openHome(e2e, ALICE)).blocks);
    expect(healthy).toContain(`🟢 *${first}*: polled`);
    expect(healthy).toContain(`🟢 *${second}*: polled`);

    e2e.cos.emulator.faults.add({ api: 'ListJobs', kind: 'htmlError' });
    e2e.cos.clock.advance(4 * e2e.config.watcher.pollIntervalSeconds * 1000);
    await e2e.poll();
    const failing = homeText((await openHome(e2e, ALICE)).blocks);
    expect(failing).toContain(`🔴 *${first}*: 1 failed poll in a row:`);
    expect(failing).toContain(`🔴 *${second}*: 1 failed poll in a row:`);
  });

  it('refreshes the Home of whoever decides, wherever: a card click and /cosjob', async () => {
    const e2e = await start();
    const region = e2e.regions[0]!;
    const first = await e2e.pendingCard(region);
    const second = await e2e.pendingCard(region);
    expect(e2e.slack.callsTo('views.publish')).toHaveLength(0);

    await e2e.click('cosjob_approve', { region, jobId: first.jobId }, ALICE);
    await e2e.runtime.slack.home?.idle();
    const afterCard = e2e.slack.homeView(ALICE.id);
    expect(afterCard?.publishes).toBe(1);
    expect(homeText((afterCard?.view.blocks ?? []) as HomeBlock[])).toContain(`Approved \`${first.jobId}\``);

    await e2e.command(`approve ${second.jobId}`, ALICE);
    await e2e.runtime.slack.home?.idle();
    const afterCommand = e2e.slack.homeView(ALICE.id);
    expect(afterCommand?.publishes).toBe(2);
    expect(homeText((afterCommand?.view.blocks ?? []) as HomeBlock[])).toContain('Waiting for approval (0)');
    // Nobody else's Home was touched, and a refused attempt publishes nothing.
    await e2e.click('cosjob_approve', { region, jobId: second.jobId }, MALLORY);
    await e2e.runtime.slack.home?.idle();
    expect(e2e.slack.callsTo('views.publish').map((c) => c.params.user_id)).toEqual([ALICE.id, ALICE.id]);
  });

  it('ignores the Messages tab and publishes nothing for it', async () => {
    const e2e = await start();
    const response = await postEventToBolt(
      e2e.eventsUrl,
      SIGNING_SECRET,
      appHomeOpenedEnvelope({ userId: ALICE.id, tab: 'messages' }),
    );
    expect(response.status).toBe(200);
    await e2e.runtime.slack.home?.idle();
    expect(e2e.slack.callsTo('views.publish')).toHaveLength(0);
  });
});
