/** Ephemeral answers to `/cosjob` and to refused clicks. */
import type { Button, KnownBlock } from '@slack/types';
import { MAX_REASON_BYTES } from '../../approvals/decision.js';
import type { Job, JobSummary } from '../../cos/model.js';
import { isFinished } from '../../cos/model.js';
import { accountRegionLabel, DEFAULT_ACCOUNT_NAME, type JobRef } from '../../jobs/job-ref.js';
import { encodeJobRef } from '../job-ref.js';
import { ACTION_IDS } from './ids.js';
import {
  auditButton,
  decisionButtons,
  descriptionText,
  failureLine,
  jobFields,
  manifestLines,
  reportLocation,
  tasksText,
} from './job-card.js';
import { describeOperation } from './operation.js';
import {
  actions,
  blockTextLength,
  button,
  code,
  context,
  fallbackText,
  header,
  MESSAGE_TEXT_BUDGET,
  numberText,
  plural,
  SLACK_LIMITS,
  type SlackMessage,
  section,
  slackTime,
  TEXT_CAPS,
  userPlain,
  userText,
} from './text.js';

export interface RefusalInput {
  /** What was attempted, e.g. "Approve job 53dc…". */
  what: string;
  why: string;
  whatToDo: string;
  cosCode?: string;
  requestId?: string;
}

/** Every refusal says what was refused, why, and what the person can do about it. */
export function refusalMessage(input: RefusalInput): SlackMessage {
  const blocks: KnownBlock[] = [
    section(
      `🚫 *${userText(input.what, TEXT_CAPS.refusalWhat)}*: not done.\n` +
        `*Why:* ${userText(input.why, TEXT_CAPS.refusalWhy)}\n` +
        `*What to do:* ${userText(input.whatToDo, TEXT_CAPS.refusalWhy)}`,
    ),
  ];
  const refs = cosReferences(input);
  if (refs) blocks.push(context([refs]));
  return {
    text: fallbackText(
      `${userText(input.what, TEXT_CAPS.refusalWhat)}: not done. ${userText(input.why, TEXT_CAPS.refusalWhy)}`,
    ),
    blocks,
  };
}

/** "COS error code `X` · COS request id `Y`", or '' when there is neither. */
function cosReferences(refs: { cosCode?: string; requestId?: string }): string {
  const parts: string[] = [];
  if (refs.cosCode) parts.push(`COS error code ${code(refs.cosCode, TEXT_CAPS.errorCode)}`);
  if (refs.requestId) parts.push(`COS request id ${code(refs.requestId, TEXT_CAPS.requestId)}`);
  return parts.join(' · ');
}

export interface NoticeInput {
  /** An emoji cosjob chose, e.g. "✅"; shown as given. */
  emoji: string;
  /** What happened, in words that may quote COS, a person or Redis: escaped and capped. */
  message: string;
  /** A further remark cosjob wrote itself (no untrusted parts), appended to the blocks only. */
  note?: string;
}

/**
 * A short private answer that is not a refusal, e.g. "✅ Approved: COS now reports the job as Ready."
 * The message usually quotes a COS status or a display name, so it is treated as untrusted.
 */
export function noticeMessage(input: NoticeInput): SlackMessage {
  const emoji = userText(input.emoji, 16);
  const message = userText(input.message, TEXT_CAPS.refusalWhy);
  const note = input.note ? userText(input.note, TEXT_CAPS.refusalWhat) : '';
  return {
    text: fallbackText(`${emoji} ${message}`),
    blocks: [section(`${emoji} ${message}${note}`)],
  };
}

export interface JobListItem {
  account: string;
  region: string;
  job: JobSummary | Job;
}

/** A configured (account, region) whose jobs could not be listed, with what COS (or the network) answered. */
export interface UnreachableRegion {
  account: string;
  region: string;
  cosCode?: string;
  requestId?: string;
}

export interface JobListOptions {
  /** Regions that could not be read; the list says so, so one failing region cannot hide the others. */
  unreachable?: readonly UnreachableRegion[];
}

/**
 * Approve only makes sense while COS waits for confirmation (Suspended); Cancel while the job has not
 * finished; the audit trail always.
 */
function buttonsFor(at: { account: string; region: string }, job: JobSummary | Job): Button[] {
  const ref: JobRef = { account: at.account, region: at.region, jobId: job.id };
  const operation = describeOperation(job.operation);
  const buttons: Button[] = [];
  if (job.status === 'Suspended') {
    buttons.push(...decisionButtons(ref, operation.plainSummary, operation.destructive));
  } else if (!isFinished(job.status)) {
    buttons.push(
      button({
        actionId: ACTION_IDS.cancel,
        text: 'Cancel',
        value: encodeJobRef(ref),
        style: 'danger',
      }),
    );
  }
  buttons.push(auditButton(ref));
  return buttons;
}

function listEntry(item: JobListItem, index: number): KnownBlock[] {
  const { job } = item;
  const operation = describeOperation(job.operation);
  const created = job.creationTime ? ` · created ${slackTime(job.creationTime)}` : '';
  const text =
    `${code(job.id, TEXT_CAPS.jobId)} · ${userText(accountRegionLabel(item), TEXT_CAPS.region)} · ` +
    `*${userText(job.status, TEXT_CAPS.status)}* · priority ${numberText(job.priority)}${created}\n` +
    `${operation.summary} · ${tasksText(job.progress)}\n` +
    `${descriptionText(job.description, TEXT_CAPS.descriptionList)}`;
  return [section(text), actions(`cosjob_list_${index}`, buttonsFor(item, job))];
}

/** One entry per job, with its buttons; when Slack's limits are reached, says how many were left out. */
export function jobListMessage(items: readonly JobListItem[], options: JobListOptions = {}): SlackMessage {
  const unreachable = unreachableNotice(options.unreachable ?? []);
  const title = `COS batch jobs (${items.length})`;
  const blocks: KnownBlock[] = [header(title)];
  if (items.length === 0) {
    blocks.push(section('No jobs match. Try `/cosjob list` without a status, or another `--region`.'));
    if (unreachable) blocks.push(unreachable.block);
    return { text: `No COS batch jobs match.${unreachable ? ` ${unreachable.text}` : ''}`, blocks };
  }
  const reservedBlocks = unreachable ? 2 : 1; // the "more jobs" line and the unreachable regions
  const reservedText = 300 + (unreachable ? blockTextLength([unreachable.block]) : 0);
  let shown = 0;
  for (const [index, item] of items.entries()) {
    const entry = listEntry(item, index);
    const tooManyBlocks = blocks.length + entry.length + reservedBlocks > SLACK_LIMITS.blocksPerMessage;
    const tooMuchText = blockTextLength(blocks) + blockTextLength(entry) + reservedText > MESSAGE_TEXT_BUDGET;
    if (tooManyBlocks || tooMuchText) break;
    blocks.push(...entry);
    shown++;
  }
  if (shown < items.length) {
    blocks.push(
      context([
        `Showing the first ${shown} of ${plural(items.length, 'job')}; ${items.length - shown} more not shown. ` +
          'Narrow the list with `/cosjob list &lt;status&gt;` or `--region R`.',
      ]),
    );
  }
  if (unreachable) blocks.push(unreachable.block);
  const suspended = items.filter((i) => i.job.status === 'Suspended').length;
  return {
    text: fallbackText(
      `${plural(items.length, 'COS batch job')}, ${suspended} awaiting approval.${unreachable ? ` ${unreachable.text}` : ''}`,
    ),
    blocks,
  };
}

const MAX_UNREACHABLE_SHOWN = 10;

function unreachableNotice(
  regions: readonly UnreachableRegion[],
): { block: KnownBlock; text: string } | undefined {
  if (regions.length === 0) return undefined;
  const shown = regions.slice(0, MAX_UNREACHABLE_SHOWN).map((r) => {
    const refs = cosReferences(r);
    return `${userText(accountRegionLabel(r), TEXT_CAPS.region)}${refs ? ` (${refs})` : ''}`;
  });
  const more = regions.length > shown.length ? ` and ${regions.length - shown.length} more` : '';
  return {
    block: context([`⚠️ Could not list ${shown.join(', ')}${more}; try again in a minute.`]),
    text: `(could not list ${plural(regions.length, 'region')})`,
  };
}

const STATUS_FAILURE_REASONS = 20;

export function jobStatusMessage(ref: JobRef, job: Job): SlackMessage {
  const { account, region } = ref;
  const operation = describeOperation(job.operation);
  const blocks: KnownBlock[] = [
    header(`Job ${userPlain(job.id, TEXT_CAPS.jobId)}`),
    section(
      `*Operation:* ${operation.summary}` +
        (operation.destructive ? '\n⚠️ *This job is destructive*; approving it cannot be undone.' : ''),
    ),
    jobFields(region, job, account),
    section(`*Description:* ${descriptionText(job.description, TEXT_CAPS.descriptionStatus)}`),
  ];
  const detailLines = [...manifestLines(job), ...operation.details];
  if (job.report?.enabled) {
    detailLines.push(`*Report:* ${reportLocation(job.report)}`);
  }
  if (detailLines.length > 0) blocks.push(context([detailLines.join('\n')]));

  const state: string[] = [`*Progress:* ${tasksText(job.progress)}`];
  if (job.statusUpdateReason) {
    state.push(`*Status reason:* ${userText(job.statusUpdateReason, TEXT_CAPS.statusUpdateReason)}`);
  }
  if (job.suspendedCause) {
    state.push(`*Suspended because:* ${userText(job.suspendedCause, TEXT_CAPS.suspendedCause, 'lines')}`);
  }
  if (job.terminationDate) state.push(`*Finished:* ${slackTime(job.terminationDate)}`);
  const failures = job.failureReasons.filter((f) => f.code || f.reason);
  const shownFailures = failures.slice(0, STATUS_FAILURE_REASONS);
  if (shownFailures.length > 0) {
    state.push(`*Failure reasons (${failures.length}):*`, ...shownFailures.map((f) => `• ${failureLine(f)}`));
    if (failures.length > shownFailures.length) {
      state.push(`…and ${plural(failures.length - shownFailures.length, 'more')}; the CLI lists them all.`);
    }
  }
  blocks.push(section(state.join('\n')));
  blocks.push(actions('cosjob_status_actions', buttonsFor(ref, job)));
  return {
    text: fallbackText(
      `Job ${userText(job.id, TEXT_CAPS.jobId)} (${userText(account === DEFAULT_ACCOUNT_NAME ? region : `${account}, ${region}`, TEXT_CAPS.region)}): ` +
        `${userText(job.status, TEXT_CAPS.status)}, ${userText(operation.plainSummary, 300)}.`,
    ),
    blocks,
  };
}

export function helpMessage(): SlackMessage {
  const lines = [
    '`/cosjob list [status]`: jobs in every configured region (default: those awaiting approval, `Suspended`)',
    '`/cosjob status &lt;JobId&gt;`: what the job does, its progress and failure reasons',
    '`/cosjob approve &lt;JobId&gt; [reason]`: add your approval (the same as the Approve button)',
    `\`/cosjob cancel &lt;JobId&gt; &lt;reason&gt;\`: cancel the job; the reason is sent to COS (at most ${MAX_REASON_BYTES} bytes)`,
    '`/cosjob audit &lt;JobId&gt;`: the job’s audit trail and whether its hash chain verifies',
    'Add `--region R` (e.g. `--region ap-guangzhou`) to any command when more than one region is configured.',
    'Add `--account A` (e.g. `--account prod`) to any command when several Tencent Cloud accounts are configured and the same JobId could be in more than one; `list` without it lists every account.',
  ];
  return {
    text: 'cosjob commands: list, status, approve, cancel, audit (add --account A or --region R to choose where).',
    blocks: [header('cosjob commands'), section(lines.map((l) => `• ${l}`).join('\n'))],
  };
}
