import type { App, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { cosErrorDetails } from '../../cos/errors.js';
import { cancelReasonModal } from '../blocks/cancel-modal.js';
import type { UnreachableRegion } from '../blocks/commands.js';
import {
  helpMessage,
  type JobListItem,
  jobListMessage,
  jobStatusMessage,
  refusalMessage,
} from '../blocks/commands.js';
import type { SlackMessage } from '../blocks/text.js';
import { auditTrailMessage } from '../blocks/thread.js';
import { type CosjobCommand, parseCosjobCommand } from '../command-parser.js';
import { decideFromSlack, outcomeMessage } from '../decisions.js';
import type { ListenerContext } from './context.js';

const MAX_LISTED_JOBS = 200;

type RegionLookup = { ok: true; region: string } | { ok: false; message: SlackMessage };

/** `/cosjob`: the keyboard path to everything the buttons do. */
export function registerCommands(app: App, ctx: ListenerContext): void {
  app.command('/cosjob', async ({ ack, command, respond, client }) => {
    const parsed = parseCosjobCommand(unescapeSlackText(command.text ?? ''), ctx.engine.regions);
    if (!parsed.ok) {
      await ack({
        response_type: 'ephemeral',
        ...refusalMessage({
          what: `/cosjob ${truncateForEcho(command.text)}`,
          why: parsed.error,
          whatToDo: `Usage: ${parsed.usage}`,
        }),
      });
      return;
    }
    if (parsed.command.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...helpMessage() });
      return;
    }
    await ack();
    const say = (message: SlackMessage) =>
      respond({ response_type: 'ephemeral', ...message }).then(() => undefined);
    try {
      await run(ctx, parsed.command, command, client, say);
    } catch (error) {
      ctx.logger.error('/cosjob failed', { error, subcommand: parsed.command.kind });
      await say(
        refusalMessage({
          what: `/cosjob ${parsed.command.kind}`,
          why: describe(error),
          whatToDo: 'Try again in a minute. If it keeps failing, tell whoever runs cosjob.',
          ...cosRefs(error),
        }),
      ).catch(() => undefined);
    }
  });
}

async function run(
  ctx: ListenerContext,
  command: Exclude<CosjobCommand, { kind: 'help' }>,
  slash: SlashCommand,
  client: WebClient,
  say: (m: SlackMessage) => Promise<void>,
): Promise<void> {
  switch (command.kind) {
    case 'list': {
      const regions = command.region ? [command.region] : ctx.engine.regions;
      const items: JobListItem[] = [];
      const unreachable: UnreachableRegion[] = [];
      for (const region of regions) {
        const listing = ctx.engine.listJobs(
          region,
          command.status === 'all' ? {} : { status: command.status },
        );
        if (!listing || items.length >= MAX_LISTED_JOBS) continue;
        try {
          for await (const job of listing) {
            items.push({ region, job });
            if (items.length >= MAX_LISTED_JOBS) break;
          }
        } catch (error) {
          // One region failing must not hide the others: list what could be read and say what could not.
          // The COS error code and request id come from the answer: the list builder escapes them.
          unreachable.push({ region, ...cosRefs(error) });
          ctx.logger.warn('could not list jobs in a region', { region, error });
        }
      }
      await say(jobListMessage(items, { unreachable }));
      return;
    }
    case 'status': {
      // Anyone may ask, so look-ups for one person are capped: no unbounded fan-out to COS.
      if (!(await ctx.engine.admitLookup(slash.user_id))) {
        return say(
          refusalMessage({
            what: `/cosjob status ${command.jobId}`,
            why: `you asked COS about jobs too often in the last minute`,
            whatToDo: 'Wait a minute and try again, or use the card and its *Audit trail* button.',
          }),
        );
      }
      const found = await resolveRegion(ctx, command.jobId, command.region, true);
      if (!found.ok) return say(found.message);
      const job = await ctx.engine.describeJob(found.region, command.jobId);
      await say(jobStatusMessage(found.region, job));
      return;
    }
    case 'audit': {
      const found = await resolveRegion(ctx, command.jobId, command.region, false);
      if (!found.ok) return say(found.message);
      const { entries, verify } = await ctx.engine.auditTrail(found.region, command.jobId);
      await say(auditTrailMessage(entries, verify));
      return;
    }
    case 'cancel':
      if (command.reason === undefined) {
        // The dialog must open within ~3 s of the command, so only cheap region lookups happen first.
        const found = await resolveRegion(ctx, command.jobId, command.region, false);
        if (!found.ok) return say(found.message);
        const record = await ctx.engine.jobRecord(found.region, command.jobId);
        // The job's rule, when cosjob has a record of it, says whether a reason is required.
        const requireReason = record
          ? (await ctx.engine.ruleForJob(found.region, command.jobId))?.rule.requires.requireReasonToCancel
          : undefined;
        try {
          const opened = await client.views.open({
            trigger_id: slash.trigger_id,
            view: cancelReasonModal({
              region: found.region,
              jobId: command.jobId,
              channelId: record?.card?.channel ?? slash.channel_id,
              messageTs: record?.card?.ts ?? '',
              requireReason: requireReason ?? ctx.requireCancelReason,
            }),
          });
          await ctx.dialogs.remember(opened.view?.id, {
            userId: slash.user_id,
            region: found.region,
            jobId: command.jobId,
            openedFrom: 'command',
          });
        } catch {
          await say(
            refusalMessage({
              what: `Cancel job ${command.jobId}`,
              why: 'Slack did not open the reason dialog in time.',
              whatToDo: `Type the reason in the command: \`/cosjob cancel ${command.jobId} <reason>\`.`,
            }),
          );
        }
        return;
      }
      return decideTyped(ctx, command, await ctx.names.actor(slash.user_id), say);
    case 'approve':
      return decideTyped(ctx, command, await ctx.names.actor(slash.user_id), say);
  }
}

async function decideTyped(
  ctx: ListenerContext,
  command: Extract<CosjobCommand, { kind: 'approve' | 'cancel' }>,
  actor: { id: string; name: string },
  say: (m: SlackMessage) => Promise<void>,
): Promise<void> {
  // The policy first: for someone who may not act, cosjob never asks COS where the job is. The job's rule
  // decides once its region is known; until then, whether any rule accepts the person.
  const mayAct = await ctx.engine.mayAct(
    actor.id,
    command.region ? { region: command.region, jobId: command.jobId } : undefined,
  );
  const found = await resolveRegion(ctx, command.jobId, command.region, mayAct);
  if (!found.ok) {
    return say(mayAct ? found.message : notApprover(command, command.region ?? ''));
  }
  await decideFromSlack(
    ctx,
    {
      region: found.region,
      jobId: command.jobId,
      action: command.kind,
      actor,
      ...(command.reason ? { reason: command.reason } : {}),
      source: 'slash-command',
    },
    say,
  );
}

/**
 * The refusal decide() gives a non-approver, for a command that names no job cosjob can place without
 * asking COS (nothing was attempted on a job, so there is no job trail to write it to).
 */
function notApprover(command: { kind: 'approve' | 'cancel'; jobId: string }, region: string): SlackMessage {
  return outcomeMessage(
    { action: command.kind, jobId: command.jobId, region },
    { kind: 'refused', code: 'not_approver', policy: 'not_listed' },
  );
}

/** The region a JobId lives in, or a refusal asking for `--region` when it cannot be told. */
async function resolveRegion(
  ctx: ListenerContext,
  jobId: string,
  explicit: string | undefined,
  askCos: boolean,
): Promise<RegionLookup> {
  if (explicit) return { ok: true, region: explicit };
  const location = await ctx.engine.locateJob(jobId, askCos);
  const regions = ctx.engine.regions.join(', ');
  const refuse = (why: string, whatToDo: string, error?: unknown): RegionLookup => ({
    ok: false,
    message: refusalMessage({ what: `Find job ${jobId}`, why, whatToDo, ...cosRefs(error) }),
  });
  switch (location.kind) {
    case 'found':
      return { ok: true, region: location.region };
    case 'not_tracked':
      return refuse(
        `cosjob is not following a job with that id, and several regions are configured (${regions})`,
        'Add `--region R` to say which region the job is in.',
      );
    case 'unreachable':
      return refuse(
        `COS could not be asked in ${location.region}: ${describe(location.error)}`,
        'Try again in a minute, or name the region with `--region R`.',
        location.error,
      );
    case 'not_found':
      return refuse(
        `no job with that id was found in ${regions}`,
        'Check the JobId (`/cosjob list`), or name the region with `--region R`.',
      );
    case 'several':
      return refuse(
        `a job with that id exists in several regions (${location.regions.join(', ')})`,
        'Add `--region R` to say which one.',
      );
  }
}

/** Slack escapes &, < and > in command text; reasons reach COS as the person typed them. */
export function unescapeSlackText(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

function truncateForEcho(text: string | undefined): string {
  const t = (text ?? '').trim();
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

function describe(error: unknown): string {
  const { explanation, message } = cosErrorDetails(error);
  return explanation ?? message;
}

function cosRefs(error: unknown): { cosCode?: string; requestId?: string } {
  if (error === undefined) return {};
  const { code, requestId } = cosErrorDetails(error);
  return { ...(code ? { cosCode: code } : {}), ...(requestId ? { requestId } : {}) };
}
