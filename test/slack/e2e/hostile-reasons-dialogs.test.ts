/**
 * Issue 9, half-done decisions from the reason field and the cancel dialog: every character a person can
 * type is either stored safely or refused with a field error before anything is written, and a dialog
 * submission is only acted on when cosjob opened that dialog for that person and that job.
 */
import { describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/redis/keys.js';
import { copyJobInput } from '../../helpers/cos-fixture.js';
import { ALICE, BOB, type E2E, REGIONS, textOf, useE2E } from './harness.js';

const { start } = useE2E();

interface ErrorsAck {
  response_action: string;
  errors: Record<string, string>;
}

async function openCancelModal(e2e: E2E, jobId: string, user = ALICE) {
  expect((await e2e.click('cosjob_cancel', { jobId }, user)).status).toBe(200);
  const opened = e2e.slack.views().at(-1);
  if (!opened) throw new Error('no dialog was opened');
  return { viewId: opened.id, privateMetadata: opened.view.private_metadata as string };
}

async function intentsLeft(e2e: E2E): Promise<number> {
  return e2e.runtime.redis.hlen(new KeySpace(e2e.config.redis.keyPrefix).intents());
}

describe('reasons with control characters', () => {
  for (const [name, character] of [
    ['NUL', '\u0000'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['backspace', '\u0008'],
  ] as const) {
    it(`the cancel dialog refuses a reason with ${name} as a field error, and nothing is written`, async () => {
      const e2e = await start();
      const { jobId } = await e2e.pendingCard();
      const modal = await openCancelModal(e2e, jobId);

      const response = await e2e.submitCancel(modal.privateMetadata, `wrong bucket${character}[31m`, ALICE);
      const body = (await response.json()) as ErrorsAck;
      expect(body.response_action).toBe('errors');
      expect(body.errors.reason_block).toContain('control characters');
      expect(e2e.statusUpdates()).toHaveLength(0);
      expect(await e2e.auditActions(jobId)).toEqual(['posted']);
      expect(await intentsLeft(e2e)).toBe(0);

      // The dialog stays usable: the same view with a plain reason goes through.
      const retried = await e2e.submitCancel(modal.privateMetadata, 'wrong bucket', ALICE);
      expect(await retried.text()).toBe('');
      await e2e.settled();
      expect(await e2e.auditActions(jobId)).toEqual(['posted', 'cancel_requested', 'cancelled']);
    });
  }

  it('a multi-line reason with CRLF, CR and tabs is stored with LF line breaks in the audit and sent to COS', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const modal = await openCancelModal(e2e, jobId);

    const response = await e2e.submitCancel(
      modal.privateMetadata,
      'line one\r\nline two\rthree\tcols',
      ALICE,
    );
    expect(await response.text()).toBe('');
    await e2e.settled();

    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => e.action)).toEqual(['posted', 'cancel_requested', 'cancelled']);
    expect(entries[1]?.reason).toBe('line one\nline two\nthree\tcols');
    expect(e2e.job(jobId).statusUpdateReason).toBe(
      'cancelled by alice (UALICE) via Slack: line one\nline two\nthree\tcols',
    );
    expect(await intentsLeft(e2e)).toBe(0);
    // Nobody was told Redis was unavailable.
    expect(
      e2e.slack
        .ephemerals()
        .map((m) => textOf(m))
        .join('\n'),
    ).not.toMatch(/unavailable/i);
  });

  it('/cosjob cancel with ESC in the reason is refused saying what to fix, before any intent', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();

    const typed = await e2e.command(`cancel ${jobId} oops\u001b[2J`, ALICE);
    const said = [typed.ack, ...typed.responses].map((m) => textOf(m)).join('\n');
    expect(said).toContain('control characters');
    expect(said).not.toMatch(/unavailable/i);
    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
    expect(await intentsLeft(e2e)).toBe(0);
  });
});

describe('the cancel dialog is bound to the view cosjob opened', () => {
  it('private_metadata re-pointed at a running job cosjob never announced is refused and audited; the job keeps running', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const modal = await openCancelModal(e2e, jobId);
    const running = e2e.cos.emulator.store.createJob(REGIONS[0], copyJobInput(), { status: 'Active' }).id;
    const metadata = JSON.parse(modal.privateMetadata) as Record<string, string>;
    const repointed = JSON.stringify({ ...metadata, jobId: running });

    const response = await e2e.submitCancel(repointed, 'because', ALICE, { viewId: modal.viewId });
    const body = (await response.json()) as ErrorsAck;
    expect(body.response_action).toBe('errors');
    expect(body.errors.reason_block).toContain('did not open this dialog');
    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(e2e.job(running).status).toBe('Active');
    const denied = await e2e.auditEntries(running);
    expect(denied.map((e) => [e.action, e.actor.id, e.source])).toEqual([
      ['denied', ALICE.id, 'slack-modal'],
    ]);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
  });

  it('a submission with a view id cosjob never opened, or by another person, is refused', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const modal = await openCancelModal(e2e, jobId);

    const forgedView = await e2e.submitCancel(modal.privateMetadata, 'because', ALICE, {
      viewId: 'V0FORGED01',
    });
    expect(((await forgedView.json()) as ErrorsAck).errors.reason_block).toContain(
      'did not open this dialog',
    );
    const otherPerson = await e2e.submitCancel(modal.privateMetadata, 'because', BOB);
    expect(((await otherPerson.json()) as ErrorsAck).errors.reason_block).toContain(
      'did not open this dialog',
    );
    expect(e2e.statusUpdates()).toHaveLength(0);
    expect(e2e.job(jobId).status).toBe('Suspended');
  });

  it('a submitted dialog is used up: submitting the same view again changes nothing', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const modal = await openCancelModal(e2e, jobId);
    expect(await (await e2e.submitCancel(modal.privateMetadata, 'first', ALICE)).text()).toBe('');
    await e2e.settled();
    const again = await e2e.submitCancel(modal.privateMetadata, 'second', ALICE);
    expect(((await again.json()) as ErrorsAck).response_action).toBe('errors');
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
  });

  it('the dialog opened by `/cosjob cancel <JobId>` for a job without a card is accepted from the person who typed it', async () => {
    const e2e = await start();
    const jobId = e2e.cos.createSuspendedJob(REGIONS[0]);
    await e2e.command(`cancel ${jobId} --region ${REGIONS[0]}`, ALICE);
    const opened = e2e.slack.views().at(-1);
    expect(opened).toBeDefined();
    const response = await e2e.submitCancel(opened!.view.private_metadata as string, 'typed it', ALICE);
    expect(await response.text()).toBe('');
    await e2e.settled();
    expect(e2e.statusUpdates(jobId).map((u) => u.requested)).toEqual(['Cancelled']);
  });
});
