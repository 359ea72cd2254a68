import type { App, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { cosErrorDetails } from '../../cos/errors.js';
import {
  type AccountRegion,
  accountRegionLabel,
  DEFAULT_ACCOUNT_NAME,
  type JobRef,
} from '../../jobs/job-ref.js';
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

type JobLookup = { ok: true; ref: JobRef } | { ok: false; message: SlackMessage };

/** `/cosjob`: the keyboard path to everything the buttons do. */
export function registerCommands(app: App, ctx: ListenerContext): void {
  app.command('/cosjob', async ({ ack, command, respond, client }) => {
    const parsed = parseCosjobCommand(
      unescapeSlackText(command.text ?? ''),
      [...new Set(ctx.engine.targets.map((t) => t.region))],
      ctx.engine.accounts,
    );
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
    const subcommand = parsed.command;
    try {
      await ctx.afterAck.run(() => run(ctx, subcommand, command, client, say));
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
      // Every (account, region) pair, narrowed by --account and --region.
      const places = ctx.engine.targets.filter(
        (t) =>
          (command.account === undefined || t.account === command.account) &&
          (command.region === undefined || t.region === command.region),
      );
      if (places.length === 0) return say(noSuchPlace(ctx, command));
      const items: JobListItem[] = [];
      const unreachable: UnreachableRegion[] = [];
      for (const place of places) {
        const listing = ctx.engine.listJobs(
          place,
          command.status === 'all' ? {} : { status: command.status },
        );
        if (!listing || items.length >= MAX_LISTED_JOBS) continue;
        try {
          for await (const job of listing) {
            items.push({ ...place, job });
            if (items.length >= MAX_LISTED_JOBS) break;
          }
        } catch (error) {
          // One region failing must not hide the others: list what could be read and say what could not.
          // The COS error code and request id come from the answer: the list builder escapes them.
          unreachable.push({ ...place, ...cosRefs(error) });
          ctx.logger.warn('could not list jobs in a region', { ...place, error });
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
      const found = await resolveJob(ctx, command, true);
      if (!found.ok) return say(found.message);
      const job = await ctx.engine.describeJob(found.ref);
      await say(jobStatusMessage(found.ref, job));
      return;
    }
    case 'audit': {
      const found = await resolveJob(ctx, command, false);
      if (!found.ok) return say(found.message);
      const { entries, verify } = await ctx.engine.auditTrail(found.ref);
      await say(auditTrailMessage(entries, verify));
      return;
    }
    case 'cancel':
      if (command.reason === undefined) {
        // The dialog must open within ~3 s of the command, so only cheap region lookups happen first.
        const found = await resolveJob(ctx, command, false);
        if (!found.ok) return say(found.message);
        const record = await ctx.engine.jobRecord(found.ref);
        // The job's rule, when cosjob has a record of it, says whether a reason is required.
        const requireReason = record
          ? (await ctx.engine.ruleForJob(found.ref))?.rule.requires.requireReasonToCancel
          : undefined;
        try {
          const opened = await client.views.open({
            trigger_id: slash.trigger_id,
            view: cancelReasonModal({
              ...found.ref,
              channelId: record?.card?.channel ?? slash.channel_id,
              messageTs: record?.card?.ts ?? '',
              requireReason: requireReason ?? ctx.requireCancelReason,
            }),
          });
          await ctx.dialogs.remember(opened.view?.id, {
            userId: slash.user_id,
            ...found.ref,
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
  // decides once its account and region are known; until then, whether any rule accepts the person.
  const account = command.account ?? (ctx.engine.accounts.length === 1 ? ctx.engine.accounts[0] : undefined);
  const mayAct = await ctx.engine.mayAct(
    actor.id,
    command.region !== undefined && account !== undefined
      ? { account, region: command.region, jobId: command.jobId }
      : undefined,
  );
  const found = await resolveJob(ctx, command, mayAct);
  if (!found.ok) {
    return say(mayAct ? found.message : notApprover(command, command.region ?? ''));
  }
  await decideFromSlack(
    ctx,
    {
      ...found.ref,
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
    { action: command.kind, jobId: command.jobId, region, account: DEFAULT_ACCOUNT_NAME },
    { kind: 'refused', code: 'not_approver', policy: 'not_listed' },
  );
}

/** A `--account`/`--region` pair that names no configured (account, region). */
function noSuchPlace(ctx: ListenerContext, place: { account?: string; region?: string }): SlackMessage {
  const account = place.account ?? DEFAULT_ACCOUNT_NAME;
  return refusalMessage({
    what: `Find ${place.region ?? 'the region'} in account ${account}`,
    why: `account ${account} does not watch ${place.region ?? 'any region'} (its regions: ${ctx.engine.regionsOf(account).join(', ') || 'none'})`,
    whatToDo: 'Name one of its regions with `--region R`, or leave `--region` out.',
  });
}

/** `prod/ap-guangzhou` for people (`ap-guangzhou` for the default account). */
function placesText(places: readonly AccountRegion[]): string {
  return places.map(accountRegionLabel).join(', ');
}

/**
 * The job a JobId names, in the (account, region) given by `--account`/`--region` or found by cosjob's
 * records (and COS, when `askCos`), or a refusal asking for `--account` or `--region` when it cannot be
 * told. A JobId is only unique within one account and region.
 */
async function resolveJob(
  ctx: ListenerContext,
  command: { jobId: string; account?: string; region?: string },
  askCos: boolean,
): Promise<JobLookup> {
  const { jobId } = command;
  const several = ctx.engine.accounts.length > 1;
  const refuse = (why: string, whatToDo: string, error?: unknown): JobLookup => ({
    ok: false,
    message: refusalMessage({ what: `Find job ${jobId}`, why, whatToDo, ...cosRefs(error) }),
  });
  if (command.region !== undefined) {
    const accounts =
      command.account !== undefined
        ? [command.account]
        : ctx.engine.accounts.filter((a) => ctx.engine.regionsOf(a).includes(command.region as string));
    if (accounts.length === 1) {
      const account = accounts[0] as string;
      if (!ctx.engine.regionsOf(account).includes(command.region)) {
        return { ok: false, message: noSuchPlace(ctx, { account, region: command.region }) };
      }
      return { ok: true, ref: { account, region: command.region, jobId } };
    }
    // The region is watched for several accounts: which one is found like any other job.
  }
  const location = await ctx.engine.locateJob(jobId, askCos, command.account);
  const scope = ctx.engine.targets.filter(
    (t) =>
      (command.account === undefined || t.account === command.account) &&
      (command.region === undefined || t.region === command.region),
  );
  const where = placesText(scope);
  const byAccount = several && command.account === undefined;
  const nameIt = byAccount
    ? 'say where it is with `--account A` or `--region R`'
    : 'name the region with `--region R`';
  switch (location.kind) {
    case 'found':
      if (command.region !== undefined && location.ref.region !== command.region) {
        return refuse(`no job with that id was found in ${where}`, 'Check the JobId and the region.');
      }
      return { ok: true, ref: location.ref };
    case 'unknown_account':
      return refuse(
        `account ${command.account} is not one cosjob watches (configured: ${location.accounts.join(', ')})`,
        'Name one of the configured accounts with `--account A`.',
      );
    case 'not_tracked':
      return refuse(
        `cosjob is not following a job with that id, and several ${several ? 'accounts and regions' : 'regions'} are configured (${where})`,
        byAccount
          ? 'Add `--account A` or `--region R` to say where the job is.'
          : 'Add `--region R` to say which region the job is in.',
      );
    case 'unreachable':
      return refuse(
        `COS could not be asked in ${accountRegionLabel(location.place)}: ${describe(location.error)}`,
        `Try again in a minute, or ${nameIt}.`,
        location.error,
      );
    case 'not_found':
      return refuse(
        `no job with that id was found in ${where}`,
        `Check the JobId (\`/cosjob list\`), or ${nameIt}.`,
      );
    case 'several': {
      const places = command.region
        ? location.places.filter((p) => p.region === command.region)
        : location.places;
      if (places.length === 1) return { ok: true, ref: { ...(places[0] as AccountRegion), jobId } };
      const accounts = [...new Set(places.map((p) => p.account))];
      return accounts.length > 1
        ? refuse(
            `a job with that id exists in several accounts (${accounts.join(', ')}: ${placesText(places)})`,
            'Add `--account A` to say which one.',
          )
        : refuse(
            `a job with that id exists in several regions (${placesText(places)})`,
            'Add `--region R` to say which one.',
          );
    }
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
