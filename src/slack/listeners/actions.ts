import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { cancelReasonModal } from '../blocks/cancel-modal.js';
import { refusalMessage } from '../blocks/commands.js';
import { ACTION_IDS } from '../blocks/ids.js';
import { auditTrailMessage } from '../blocks/thread.js';
import { decideFromSlack } from '../decisions.js';
import { decodeJobRef } from '../job-ref.js';
import { actorFrom, ephemeralTo, type ListenerContext } from './context.js';

/** Buttons on cards and on `/cosjob list`: Approve, Cancel (opens the reason modal) and the audit trail. */
export function registerActions(app: App, ctx: ListenerContext): void {
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approve, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id ?? ctx.channelId;
    const reply = ephemeralTo(client, channel, body.user.id, ctx.logger);
    const ref = decodeJobRef(action.value);
    if (!ref.ok) {
      await reply(
        refusalMessage({
          what: 'Approve',
          why: ref.error,
          whatToDo: 'Use the buttons on a cosjob card or `/cosjob list`.',
        }),
      );
      return;
    }
    await decideFromSlack(
      ctx,
      {
        ...ref.ref,
        action: 'approve',
        actor: actorFrom(body.user),
        source: 'slack-button',
        requireAnnouncedJob: true,
      },
      reply,
    );
  });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.cancel, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id ?? ctx.channelId;
    const reply = ephemeralTo(client, channel, body.user.id, ctx.logger);
    const ref = decodeJobRef(action.value);
    if (!ref.ok) {
      await reply(
        refusalMessage({
          what: 'Cancel',
          why: ref.error,
          whatToDo: 'Use the buttons on a cosjob card or `/cosjob list`.',
        }),
      );
      return;
    }
    // trigger_id lives about 3 s: open the modal before anything slow.
    const messageTs = body.message?.ts ?? body.container?.message_ts ?? '';
    try {
      await client.views.open({
        trigger_id: body.trigger_id,
        view: cancelReasonModal({
          ...ref.ref,
          channelId: channel,
          messageTs,
          requireReason: ctx.requireCancelReason,
        }),
      });
    } catch (error) {
      ctx.logger.warn('could not open the cancel dialog', { error });
      await reply(
        refusalMessage({
          what: `Cancel job ${ref.ref.jobId}`,
          why: 'Slack did not open the reason dialog in time.',
          whatToDo: `Click Cancel again, or type \`/cosjob cancel ${ref.ref.jobId} <reason>\`.`,
        }),
      );
    }
  });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.audit, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id ?? ctx.channelId;
    const reply = ephemeralTo(client, channel, body.user.id, ctx.logger);
    const ref = decodeJobRef(action.value);
    if (!ref.ok) {
      await reply(
        refusalMessage({
          what: 'Show the audit trail',
          why: ref.error,
          whatToDo: 'Use the button on a cosjob card.',
        }),
      );
      return;
    }
    const { region, jobId } = ref.ref;
    try {
      const [entries, verify] = await Promise.all([
        ctx.engine.audit.history(region, jobId),
        ctx.engine.audit.verify({ kind: 'job', region, jobId }),
      ]);
      const message = auditTrailMessage(entries, verify);
      const record = await ctx.engine.records.get(region, jobId);
      if (record?.card && !body.container?.is_ephemeral) ctx.cards.reply(region, jobId, message);
      else await reply(message);
    } catch (error) {
      ctx.logger.warn('could not read the audit trail', { region, jobId, error });
      await reply(
        refusalMessage({
          what: `Show the audit trail of ${jobId}`,
          why: 'the audit store could not be read just now',
          whatToDo: 'Try again in a minute.',
        }),
      );
    }
  });
}
