import type { App, ViewSubmitAction } from '@slack/bolt';
import {
  parseCancelModalMetadata,
  readCancelReason,
  validateReasonBytes,
  validateReasonCharacters,
} from '../blocks/cancel-modal.js';
import { CANCEL_MODAL_CALLBACK_ID, REASON_BLOCK_ID } from '../blocks/ids.js';
import { decideFromSlack } from '../decisions.js';
import { ephemeralTo, type ListenerContext } from './context.js';

const STALE_DIALOG =
  'cosjob did not open this dialog for you for this job, or it has expired. Close it and click Cancel on the card again.';

/**
 * The cancel-reason modal: validated on submit (bytes, not characters; no control characters), bound to
 * the dialog cosjob opened (its view id, the person and the job), then the cancel goes ahead.
 */
export function registerViews(app: App, ctx: ListenerContext): void {
  app.view<ViewSubmitAction>(CANCEL_MODAL_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const fieldError = (message: string) =>
      ack({ response_action: 'errors', errors: { [REASON_BLOCK_ID]: message } });
    const metadata = parseCancelModalMetadata(view.private_metadata);
    if (!metadata.ok) {
      await fieldError(
        `This dialog cannot be used (${metadata.error}). Close it and click Cancel on the card again.`,
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
    if (ctx.requireCancelReason && reason.reason === '') {
      await fieldError('Say why the job is being cancelled: the reason is stored with the job in COS.');
      return;
    }
    const { channelId, account, region, jobId } = metadata.metadata;
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
      opened.jobId !== jobId
    ) {
      ctx.logger.warn('refused a cancel dialog cosjob did not open for this person and job', {
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
          reason: 'cancel dialog not opened by cosjob for this person and job',
          source: 'slack-modal',
        })
        .catch(() => undefined);
      await fieldError(STALE_DIALOG);
      return;
    }
    await ack();
    await ctx.dialogs.forget(view.id).catch((error) => {
      ctx.logger.warn('could not retire a submitted cancel dialog', { error });
    });
    await decideFromSlack(
      ctx,
      {
        account,
        region,
        jobId,
        action: 'cancel',
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
}
