import type { App, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { JobSummary } from '../../cos/model.js';
import { cancelReasonModal } from '../blocks/cancel-modal.js';
import {
  helpMessage,
  type JobListItem,
  jobListMessage,
  jobStatusMessage,
  refusalMessage,
} from '../blocks/commands.js';
import { context, type SlackMessage } from '../blocks/text.js';
import { auditTrailMessage } from '../blocks/thread.js';
import { type CosjobCommand, parseCosjobCommand } from '../command-parser.js';
import { decideFromSlack } from '../decisions.js';
import type { ListenerContext } from './context.js';

const MAX_LISTED_JOBS = 200;

type RegionLookup = { ok: true; region: string } | { ok: false; message: SlackMessage };

/** `/cosjob`: the keyboard path to everything the buttons do. */
export function registerCommands(app: App, ctx: ListenerContext): void {
  app.command('/cosjob', async ({ ack, command, respond, client }) => {
    const parsed = parseCosjobCommand(unescapeSlackText(command.text ?? ''), ctx.regions);
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
  const actor = { id: slash.user_id, name: (slash.user_name || slash.user_id).slice(0, 80) };
  switch (command.kind) {
    case 'list': {
      const regions = command.region ? [command.region] : ctx.regions;
      const items: JobListItem[] = [];
      const unreachable: string[] = [];
      for (const region of regions) {
        const client = ctx.engine.clients.get(region);
        if (!client || items.length >= MAX_LISTED_JOBS) continue;
        const options = command.status === 'all' ? {} : { status: command.status };
        try {
          for await (const job of client.listAllJobs(options) as AsyncIterable<JobSummary>) {
            items.push({ region, job });
            if (items.length >= MAX_LISTED_JOBS) break;
          }
        } catch (error) {
          // One region failing must not hide the others: list what could be read and say what could not.
          const refs = cosRefs(error);
          unreachable.push(
            `${region} (${refs.cosCode ?? 'error'}${refs.requestId ? `, request id ${refs.requestId}` : ''})`,
          );
          ctx.logger.warn('could not list jobs in a region', { region, error });
        }
      }
      const message = jobListMessage(items);
      if (unreachable.length > 0) {
        message.blocks.push(context([`⚠️ Could not list ${unreachable.join(', ')}; try again in a minute.`]));
        message.text = `${message.text} (could not list ${unreachable.length} region(s))`;
      }
      await say(message);
      return;
    }
    case 'status': {
      const found = await resolveRegion(ctx, command.jobId, command.region, true);
      if (!found.ok) return say(found.message);
      const job = await ctx.engine.clients.get(found.region)!.describeJob(command.jobId);
      await say(jobStatusMessage(found.region, job));
      return;
    }
    case 'audit': {
      const found = await resolveRegion(ctx, command.jobId, command.region, false);
      if (!found.ok) return say(found.message);
      const [entries, verify] = await Promise.all([
        ctx.engine.audit.history(found.region, command.jobId),
        ctx.engine.audit.verify({ kind: 'job', region: found.region, jobId: command.jobId }),
      ]);
      await say(auditTrailMessage(entries, verify));
      return;
    }
    case 'cancel':
      if (command.reason === undefined) {
        // The dialog must open within ~3 s of the command, so only cheap region lookups happen first.
        const found = await resolveRegion(ctx, command.jobId, command.region, false);
        if (!found.ok) return say(found.message);
        const record = await ctx.engine.records.get(found.region, command.jobId);
        try {
          await client.views.open({
            trigger_id: slash.trigger_id,
            view: cancelReasonModal({
              region: found.region,
              jobId: command.jobId,
              channelId: record?.card?.channel ?? slash.channel_id,
              messageTs: record?.card?.ts ?? '',
              requireReason: ctx.requireCancelReason,
            }),
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
      return decideTyped(ctx, command, actor, say);
    case 'approve':
      return decideTyped(ctx, command, actor, say);
  }
}

async function decideTyped(
  ctx: ListenerContext,
  command: Extract<CosjobCommand, { kind: 'approve' | 'cancel' }>,
  actor: { id: string; name: string },
  say: (m: SlackMessage) => Promise<void>,
): Promise<void> {
  const found = await resolveRegion(ctx, command.jobId, command.region, true);
  if (!found.ok) return say(found.message);
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
 * Which region a JobId lives in: the one given, the only one configured, the one cosjob already tracks
 * it in, or (when `askCos`) the one COS knows it in. Ambiguity is an error that asks for --region.
 */
async function resolveRegion(
  ctx: ListenerContext,
  jobId: string,
  explicit: string | undefined,
  askCos: boolean,
): Promise<RegionLookup> {
  if (explicit) return { ok: true, region: explicit };
  if (ctx.regions.length === 1) return { ok: true, region: ctx.regions[0]! };
  const known: string[] = [];
  for (const region of ctx.regions) if (await ctx.engine.records.exists(region, jobId)) known.push(region);
  if (known.length === 1) return { ok: true, region: known[0]! };
  let candidates = known;
  if (known.length === 0 && !askCos) {
    return {
      ok: false,
      message: refusalMessage({
        what: `Find job ${jobId}`,
        why: `cosjob is not following a job with that id, and several regions are configured (${ctx.regions.join(', ')})`,
        whatToDo: 'Add `--region R` to say which region the job is in.',
      }),
    };
  }
  if (known.length === 0) {
    const lookups = await Promise.all(
      ctx.regions.map(async (region) => {
        try {
          await ctx.engine.clients.get(region)?.describeJob(jobId);
          return { region, found: true as const };
        } catch (error) {
          return { region, found: false as const, error };
        }
      }),
    );
    candidates = lookups.filter((l) => l.found).map((l) => l.region);
    if (candidates.length === 1) return { ok: true, region: candidates[0]! };
    // Only NoSuchJob means "not there"; any other failure must not be reported as a missing job.
    const failed = lookups.find((l) => !l.found && (l.error as { code?: unknown }).code !== 'NoSuchJob');
    if (candidates.length === 0 && failed && !failed.found) {
      return {
        ok: false,
        message: refusalMessage({
          what: `Find job ${jobId}`,
          why: `COS could not be asked in ${failed.region}: ${describe(failed.error)}`,
          whatToDo: 'Try again in a minute, or name the region with `--region R`.',
          ...cosRefs(failed.error),
        }),
      };
    }
  }
  if (candidates.length === 0) {
    return {
      ok: false,
      message: refusalMessage({
        what: `Find job ${jobId}`,
        why: `no job with that id was found in ${ctx.regions.join(', ')}`,
        whatToDo: 'Check the JobId (`/cosjob list`), or name the region with `--region R`.',
      }),
    };
  }
  return {
    ok: false,
    message: refusalMessage({
      what: `Find job ${jobId}`,
      why: `a job with that id exists in several regions (${candidates.join(', ')})`,
      whatToDo: 'Add `--region R` to say which one.',
    }),
  };
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
  const e = error as { explanation?: unknown; message?: unknown };
  if (typeof e.explanation === 'string') return e.explanation;
  return typeof e.message === 'string' ? e.message : 'an unexpected error';
}

function cosRefs(error: unknown): { cosCode?: string; requestId?: string } {
  const e = error as { code?: unknown; requestId?: unknown };
  return {
    ...(typeof e.code === 'string' ? { cosCode: e.code } : {}),
    ...(typeof e.requestId === 'string' ? { requestId: e.requestId } : {}),
  };
}
