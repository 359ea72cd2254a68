import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import type { JobRef } from '../../jobs/job-ref.js';
import type { AppliedRule } from '../../rules/applied.js';
import { approveReasonModal } from '../blocks/approve-modal.js';
import { cancelReasonModal } from '../blocks/cancel-modal.js';
import { refusalMessage } from '../blocks/commands.js';
import { ACTION_IDS } from '../blocks/ids.js';
import { auditTrailMessage } from '../blocks/thread.js';
import { decideFromSlack, type Reply } from '../decisions.js';
import { decodeJobRef } from '../job-ref.js';
import { type ClickOrigin, clickOrigin, isHomeClick } from './click-origin.js';
import { answerClick, type ListenerContext } from './context.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type ButtonHandler = (args: ButtonArgs, ref: JobRef, origin: ClickOrigin, reply: Reply) => Promise<void>;

/**
 * Every button: acknowledge at once, then (in its turn after other acknowledged work, after-ack.ts) treat
 * the value as untrusted: a value that is not a job reference gets a refusal saying so, and the handler
 * never runs.
 */
function onJobButton(ctx: ListenerContext, what: string, handler: ButtonHandler) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await ctx.afterAck.run(() => answerButton(ctx, what, handler, args));
  };
}

async function answerButton(
  ctx: ListenerContext,
  what: string,
  handler: ButtonHandler,
  args: ButtonArgs,
): Promise<void> {
  const channel = args.body.channel?.id ?? ctx.channelId;
  const respond = args.body.response_url ? args.respond : undefined;
  // A click on the Home tab has no message to answer under: the answer goes to the top of the Home.
  const reply =
    ctx.home && isHomeClick(args.body)
      ? ctx.home.answerOnHome(args.body.user.id)
      : answerClick(respond, args.client, channel, args.body.user.id, ctx.logger);
  const ref = decodeJobRef(args.action.value);
  if (!ref.ok) {
    await reply(
      refusalMessage({
        what,
        why: ref.error,
        whatToDo: 'Use the buttons on a cosjob card or `/cosjob list`.',
      }),
    );
    return;
  }
  await handler(args, ref.ref, await clickOrigin(ctx, args.body, ref.ref), reply);
}

/** The job's rule from cosjob's record (one Redis read, no COS call); undefined if it cannot be read. */
async function ruleOfJob(ctx: ListenerContext, ref: JobRef): Promise<AppliedRule | undefined> {
  try {
    return await ctx.engine.ruleForJob(ref);
  } catch (error) {
    ctx.logger.warn('could not read the job record for its rule', { error, jobId: ref.jobId });
    return undefined;
  }
}

/** Approve under a rule that asks for a reason: the reason dialog, bound to this person and job. */
async function openApproveDialog(
  ctx: ListenerContext,
  { body, client }: ButtonArgs,
  ref: JobRef,
  origin: ClickOrigin,
  reply: Reply,
  rule: string,
): Promise<void> {
  const refuse = (why: string, whatToDo: string) =>
    reply(refusalMessage({ what: `Approve job ${ref.jobId}`, why, whatToDo }));
  if (origin.messageTs === undefined) {
    await refuse(
      'its rule asks for a reason, and the card the reason dialog refers to is not posted yet.',
      `Type \`/cosjob approve ${ref.jobId} <reason>\`, or use the card once it is posted.`,
    );
    return;
  }
  try {
    const opened = await client.views.open({
      trigger_id: body.trigger_id,
      view: approveReasonModal({ ...ref, channelId: origin.channel, messageTs: origin.messageTs, rule }),
    });
    await ctx.dialogs
      .remember(opened.view?.id, { userId: body.user.id, ...ref, openedFrom: 'card', action: 'approve' })
      .catch((error: unknown) => ctx.logger.warn('could not remember the approve dialog', { error }));
  } catch (error) {
    ctx.logger.warn('could not open the approve dialog', { error });
    await refuse(
      'its rule asks for a reason, and Slack did not open the reason dialog in time.',
      `Click Approve again, or type \`/cosjob approve ${ref.jobId} <reason>\`.`,
    );
  }
}

/** Buttons on cards and on `/cosjob list`: Approve, Cancel (opens the reason modal) and the audit trail. */
export function registerActions(app: App, ctx: ListenerContext): void {
  app.action<BlockAction<ButtonAction>>(
    ACTION_IDS.approve,
    onJobButton(ctx, 'Approve', async (args, ref, origin, reply) => {
      const { body } = args;
      // A rule that asks for a reason to approve gets the reason dialog first (decide() would refuse).
      const rule = ctx.engine.rules.anyAsksReasonToApprove ? await ruleOfJob(ctx, ref) : undefined;
      if (rule?.rule.requires.requireReasonToApprove) {
        await openApproveDialog(ctx, args, ref, origin, reply, rule.rule.name);
        return;
      }
      await decideFromSlack(
        ctx,
        {
          ...ref,
          action: 'approve',
          actor: await ctx.names.actor(body.user.id),
          source: 'slack-button',
          requireAnnouncedJob: true,
        },
        reply,
      );
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION_IDS.cancel,
    onJobButton(ctx, 'Cancel', async ({ body, client }, ref, origin, reply) => {
      // trigger_id lives about 3 s: open the modal before anything slow.
      const { channel, messageTs } = origin;
      if (messageTs === undefined) {
        await reply(
          refusalMessage({
            what: `Cancel job ${ref.jobId}`,
            why: 'its card is not posted yet, and the reason dialog refers to the card.',
            whatToDo: `Type \`/cosjob cancel ${ref.jobId} <reason>\`, or use the card once it is posted.`,
          }),
        );
        return;
      }
      try {
        const rule = await ruleOfJob(ctx, ref);
        const opened = await client.views.open({
          trigger_id: body.trigger_id,
          view: cancelReasonModal({
            ...ref,
            channelId: channel,
            messageTs,
            requireReason: rule?.rule.requires.requireReasonToCancel ?? ctx.requireCancelReason,
          }),
        });
        // Without this record the submission is refused (it asks the person to click Cancel again).
        await ctx.dialogs
          .remember(opened.view?.id, { userId: body.user.id, ...ref, openedFrom: 'card' })
          .catch((error: unknown) => ctx.logger.warn('could not remember the cancel dialog', { error }));
      } catch (error) {
        ctx.logger.warn('could not open the cancel dialog', { error });
        await reply(
          refusalMessage({
            what: `Cancel job ${ref.jobId}`,
            why: 'Slack did not open the reason dialog in time.',
            whatToDo: `Click Cancel again, or type \`/cosjob cancel ${ref.jobId} <reason>\`.`,
          }),
        );
      }
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    ACTION_IDS.audit,
    onJobButton(ctx, 'Show the audit trail', async ({ body }, ref, _origin, reply) => {
      const { jobId } = ref;
      try {
        const { entries, verify } = await ctx.engine.auditTrail(ref);
        const message = auditTrailMessage(entries, verify);
        const record = await ctx.engine.jobRecord(ref);
        if (record?.card && !body.container?.is_ephemeral) ctx.cards.reply(ref, message);
        else await reply(message);
      } catch (error) {
        ctx.logger.warn('could not read the audit trail', { ...ref, error });
        await reply(
          refusalMessage({
            what: `Show the audit trail of ${jobId}`,
            why: 'the audit store could not be read just now',
            whatToDo: 'Try again in a minute.',
          }),
        );
      }
    }),
  );
}
