import type { App, ViewSubmitAction } from '@slack/bolt';
import { parseCancelModalMetadata, readCancelReason, validateReasonBytes } from '../blocks/cancel-modal.js';
import { CANCEL_MODAL_CALLBACK_ID, REASON_BLOCK_ID } from '../blocks/ids.js';
import { decideFromSlack } from '../decisions.js';
import { actorFrom, ephemeralTo, type ListenerContext } from './context.js';

/** The cancel-reason modal: validated on submit (bytes, not characters), then the cancel goes ahead. */
export function registerViews(app: App, ctx: ListenerContext): void {
  app.view<ViewSubmitAction>(CANCEL_MODAL_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const metadata = parseCancelModalMetadata(view.private_metadata);
    if (!metadata.ok) {
      await ack({
        response_action: 'errors',
        errors: {
          [REASON_BLOCK_ID]: `This dialog cannot be used (${metadata.error}). Close it and click Cancel on the card again.`,
        },
      });
      return;
    }
    const reason = readCancelReason(view.state.values);
    if (!reason.ok) {
      await ack({ response_action: 'errors', errors: { [REASON_BLOCK_ID]: reason.error } });
      return;
    }
    const tooLong = validateReasonBytes(reason.reason);
    if (tooLong) {
      await ack({ response_action: 'errors', errors: { [REASON_BLOCK_ID]: tooLong } });
      return;
    }
    if (ctx.requireCancelReason && reason.reason === '') {
      await ack({
        response_action: 'errors',
        errors: {
          [REASON_BLOCK_ID]: 'Say why the job is being cancelled: the reason is stored with the job in COS.',
        },
      });
      return;
    }
    await ack();
    const { channelId, region, jobId } = metadata.metadata;
    await decideFromSlack(
      ctx,
      {
        region,
        jobId,
        action: 'cancel',
        actor: actorFrom(body.user),
        ...(reason.reason ? { reason: reason.reason } : {}),
        source: 'slack-modal',
      },
      ephemeralTo(client, channelId, body.user.id, ctx.logger),
    );
  });
}
