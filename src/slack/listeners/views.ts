import type { App, ViewSubmitAction } from '@slack/bolt';
import type { DecisionAction } from '../../approvals/decision.js';
import type { JobRef } from '../../jobs/job-ref.js';
import {
  parseCancelModalMetadata,
  readCancelReason,
  validateReasonBytes,
  validateReasonCharacters,
} from '../blocks/cancel-modal.js';
import { APPROVE_MODAL_CALLBACK_ID, CANCEL_MODAL_CALLBACK_ID, REASON_BLOCK_ID } from '../blocks/ids.js';
import { decideFromSlack } from '../decisions.js';
import { ephemeralTo, type ListenerContext } from './context.js';

const BUTTON: Record<DecisionAction, string> = { approve: 'Approve', cancel: 'Cancel' };
const staleDialog = (action: DecisionAction) =>
  `cosjob did not open this dialog for you for this job, or it has expired. Close it and click ${BUTTON[action]} on the card again.`;

/**
 * The reason modals (cancel; approve under a rule that asks for a reason): validated on submit (bytes,
 * not characters; no control characters), bound to the dialog cosjob opened (its view id, the person,
 * the job and the action), then the decision goes ahead.
 */
export function registerViews(app: App, ctx: ListenerContext): void {
  registerReasonView(app, ctx, CANCEL_MODAL_CALLBACK_ID, 'cancel');
  registerReasonView(app, ctx, APPROVE_MODAL_CALLBACK_ID, 'approve');
}

function registerReasonView(
  app: App,
  ctx: ListenerContext,
  callbackId: string,
  action: DecisionAction,
): void {
  app.view<ViewSubmitAction>(callbackId, async ({ ack, body, view, client }) => {
    const fieldError = (message: string) =>
      ack({ response_action: 'errors', errors: { [REASON_BLOCK_ID]: message } });
    const metadata = parseCancelModalMetadata(view.private_metadata);
    if (!metadata.ok) {
      await fieldError(
        `This dialog cannot be used (${metadata.error}). Close it and click ${BUTTON[action]} on the card again.`,
      );
      return;
    }
    const reason = readCancelReason(view.state.values);
    if (!reason.ok) {
      await fieldError(reason.error);
      return;
    }
    const problem = validateReasonBytes(reason.reason) ?? validateReasonCharacters(reason.reason);
    if (problem) {
      await fieldError(problem);
      return;
    }
    const { channelId, account, region, jobId } = metadata.metadata;
    if (reason.reason === '' && (await reasonRequired(ctx, action, { account, region, jobId }))) {
      await fieldError(
        action === 'cancel'
          ? 'Say why the job is being cancelled: the reason is stored with the job in COS.'
          : 'Say why you approve the job: its rule asks for a reason, stored with the job in COS.',
      );
      return;
    }
    let opened: Awaited<ReturnType<typeof ctx.dialogs.lookup>>;
    try {
      opened = await ctx.dialogs.lookup(view.id);
    } catch (error) {
      ctx.logger.warn('could not read the cancel dialog binding', { error });
      await fieldError(
        'cosjob cannot check this dialog just now (its store is unavailable). Try again in a minute.',
      );
      return;
    }
    if (
      !opened ||
      opened.userId !== body.user.id ||
      opened.account !== account ||
      opened.region !== region ||
      opened.jobId !== jobId ||
      (opened.action ?? 'cancel') !== action
    ) {
      ctx.logger.warn('refused a reason dialog cosjob did not open for this person, job and action', {
        userId: body.user.id,
        account,
        region,
        jobId,
        known: opened !== undefined,
      });
      await ctx.engine
        .recordRefusal({
          account,
          region,
          jobId,
          actor: await ctx.names.actor(body.user.id),
          reason: `${action} dialog not opened by cosjob for this person and job`,
          source: 'slack-modal',
        })
        .catch(() => undefined);
      await fieldError(staleDialog(action));
      return;
    }
    await ack();
    await ctx.afterAck.run(async () => {
      await ctx.dialogs.forget(view.id).catch((error) => {
        ctx.logger.warn('could not retire a submitted reason dialog', { error });
      });
      await decideFromSlack(
        ctx,
        {
          account,
          region,
          jobId,
          action,
          actor: await ctx.names.actor(body.user.id),
          ...(reason.reason ? { reason: reason.reason } : {}),
          source: 'slack-modal',
          // From a card: the same announced-job check as the buttons. From `/cosjob cancel <JobId>`: the
          // person typed the JobId, so the typed command's rules apply.
          ...(opened.openedFrom === 'card' ? { requireAnnouncedJob: true } : {}),
        },
        ephemeralTo(client, channelId, body.user.id, ctx.logger),
      );
    });
  });
}

/** Whether the job's rule asks for a reason for `action` (the environment's setting for a job not recorded). */
async function reasonRequired(ctx: ListenerContext, action: DecisionAction, ref: JobRef): Promise<boolean> {
  const rule = await ctx.engine.ruleForJob(ref).catch(() => undefined);
  if (action === 'approve') return rule?.rule.requires.requireReasonToApprove ?? true;
  return rule?.rule.requires.requireReasonToCancel ?? ctx.requireCancelReason;
}
