/** Cancel from a card: the reason modal, its byte limit and required reason, and the cancelled card. */
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  buttonsOf,
  CHANNEL,
  type E2E,
  REGIONS,
  textOf,
  titleOf,
  updatesOf,
  useE2E,
} from './harness.js';

const { start } = useE2E();

/** Clicks Cancel and returns the modal Slack was asked to open. */
async function openCancelModal(e2e: E2E, jobId: string) {
  const response = await e2e.click('cosjob_cancel', { jobId }, ALICE);
  expect(response.status).toBe(200);
  const opened = e2e.slack.callsTo('views.open');
  expect(opened).toHaveLength(1);
  const view = opened[0]!.params.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
  return view;
}

interface ErrorsAck {
  response_action: string;
  errors: Record<string, string>;
}

describe('Cancel button and reason modal', () => {
  it('opens the modal, and on submit cancels the job with that reason and shows the cancelled card', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();

    const view = await openCancelModal(e2e, jobId);
    expect(view.callback_id).toBe('cosjob_cancel_reason');
    expect(JSON.parse(view.private_metadata)).toEqual({
      channel: CHANNEL,
      ts: card.ts,
      region: REGIONS[0],
      jobId,
    });
    // Opening the dialog changes nothing yet.
    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);

    const submitted = await e2e.submitCancel(view.private_metadata, 'duplicate of last night’s run', ALICE);
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe('');
    await e2e.settled();

    const job = e2e.job(jobId);
    expect(['Cancelling', 'Cancelled']).toContain(job.status);
    expect(job.statusUpdateReason).toBe(
      'cancelled by alice (UALICE) via Slack: duplicate of last night’s run',
    );
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    expect(e2e.statusUpdates(jobId)[0]?.requested).toBe('Cancelled');

    const final = e2e.slack.message(CHANNEL, card.ts);
    expect(titleOf(final)).toBe('🛑 COS batch job cancelled');
    expect(textOf(final)).toContain('*Reason:* duplicate of last night’s run');
    expect(buttonsOf(final)).toEqual(['cosjob_audit']);
    expect(titleOf(updatesOf(e2e.slack, card.ts)[0])).toBe('⏳ COS batch job: cancelling…');
    expect(await e2e.auditActions(jobId)).toEqual(['posted', 'cancel_requested', 'cancelled']);
    expect(textOf(e2e.thread(card)[0])).toContain('asked COS to cancel the job');
  });

  it('refuses a 257-byte reason made of multi-byte characters, naming its size, and changes nothing', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    const view = await openCancelModal(e2e, jobId);
    const reason = `é${'界'.repeat(85)}`; // 2 + 85 × 3 = 257 bytes in 86 characters
    expect(Buffer.byteLength(reason)).toBe(257);
    const updatesBefore = e2e.slack.callsTo('chat.update').length;

    const response = await e2e.submitCancel(view.private_metadata, reason, ALICE);
    expect(response.status).toBe(200);
    const body = (await response.json()) as ErrorsAck;
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors)).toEqual(['reason_block']);
    expect(body.errors.reason_block).toContain('257 bytes');
    expect(body.errors.reason_block).toContain('256 bytes');
    await e2e.settled();

    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(e2e.job(jobId).status).toBe('Suspended');
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
    expect(e2e.slack.callsTo('chat.update')).toHaveLength(updatesBefore);
    expect(e2e.thread(card)).toHaveLength(0);
  });

  it('accepts exactly 256 bytes of multi-byte text', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const view = await openCancelModal(e2e, jobId);
    const reason = '😀'.repeat(64);
    const response = await e2e.submitCancel(view.private_metadata, reason, ALICE);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    // COS keeps 256 bytes: the attribution comes first, so the reason is cut, never the whole text.
    const stored = e2e.job(jobId).statusUpdateReason ?? '';
    expect(stored.startsWith('cancelled by alice (UALICE) via Slack: 😀')).toBe(true);
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(256);
  });

  it.each([
    ['empty', null],
    ['blank', '   \n  '],
  ])('asks for a reason when it is required and the field is %s', async (_label, reason) => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const view = await openCancelModal(e2e, jobId);

    const response = await e2e.submitCancel(view.private_metadata, reason, ALICE);
    expect(response.status).toBe(200);
    const body = (await response.json()) as ErrorsAck;
    expect(body.response_action).toBe('errors');
    expect(body.errors.reason_block).toMatch(/Say why the job is being cancelled/);
    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
  });

  it('cancels without a reason when none is required', async () => {
    const e2e = await start({ requireCancelReason: false });
    const { jobId } = await e2e.pendingCard();
    const view = await openCancelModal(e2e, jobId);
    const input = (view.blocks as { type: string; optional?: boolean }[]).find((b) => b.type === 'input');
    expect(input?.optional).toBe(true);

    const response = await e2e.submitCancel(view.private_metadata, null, ALICE);
    expect(response.status).toBe(200);
    await e2e.settled();
    expect(e2e.job(jobId).statusUpdateReason).toBe('cancelled by alice (UALICE) via Slack');
  });

  it('refuses a dialog whose metadata was not written by cosjob', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const forged = JSON.stringify({
      channel: CHANNEL,
      ts: '1.2',
      region: REGIONS[0],
      jobId: `${jobId}/../x`,
    });
    const response = await e2e.submitCancel(forged, 'because', ALICE);
    const body = (await response.json()) as ErrorsAck;
    expect(body.response_action).toBe('errors');
    expect(body.errors.reason_block).toContain('cannot be used');
    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
  });
});
