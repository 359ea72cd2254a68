/** Ephemeral answers to `/cosjob` and to refused clicks. */
import type { Button, KnownBlock } from '@slack/types';
import { MAX_REASON_BYTES } from '../../approvals/decision.js';
import type { Job, JobSummary } from '../../cos/model.js';
import { isFinished } from '../../cos/model.js';
import { encodeJobRef } from '../job-ref.js';
import { ACTION_IDS } from './ids.js';
import {
  auditButton,
  decisionButtons,
  descriptionText,
  failureLine,
  jobFields,
  manifestLines,
  tasksText,
} from './job-card.js';
import { describeOperation } from './operation.js';
import {
  actions,
  blockTextLength,
  button,
  code,
  context,
  escapeMrkdwn,
  fallbackText,
  header,
  MESSAGE_TEXT_BUDGET,
  plural,
  SLACK_LIMITS,
  type SlackMessage,
  section,
  slackTime,
  truncate,
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
      `🚫 *${userText(input.what, 300)}*: not done.\n` +
        `*Why:* ${userText(input.why, 1000)}\n*What to do:* ${userText(input.whatToDo, 1000)}`,
    ),
  ];
  const refs: string[] = [];
  if (input.cosCode) refs.push(`COS error code ${code(input.cosCode, 64)}`);
  if (input.requestId) refs.push(`COS request id ${code(input.requestId, 128)}`);
  if (refs.length > 0) blocks.push(context([refs.join(' · ')]));
  return {
    text: fallbackText(
      `${escapeMrkdwn(truncate(input.what, 300))}: not done. ${escapeMrkdwn(truncate(input.why, 1000))}`,
    ),
    blocks,
  };
}

export interface JobListItem {
  region: string;
  job: JobSummary | Job;
}

/**
 * Approve only makes sense while COS waits for confirmation (Suspended); Cancel while the job has not
 * finished; the audit trail always.
 */
function buttonsFor(region: string, job: JobSummary | Job): Button[] {
  const operation = describeOperation(job.operation);
  const buttons: Button[] = [];
  if (job.status === 'Suspended') {
    buttons.push(...decisionButtons(region, job.id, operation.plainSummary, operation.destructive));
  } else if (!isFinished(job.status)) {
    buttons.push(
      button({
        actionId: ACTION_IDS.cancel,
        text: 'Cancel',
        value: encodeJobRef({ region, jobId: job.id }),
        style: 'danger',
      }),
    );
  }
  buttons.push(auditButton(region, job.id));
  return buttons;
}

function listEntry(item: JobListItem, index: number): KnownBlock[] {
  const { region, job } = item;
  const operation = describeOperation(job.operation);
  const created = job.creationTime ? ` · created ${slackTime(job.creationTime)}` : '';
  const text =
    `${code(job.id, 64)} · ${escapeMrkdwn(region)} · *${userText(job.status, 40)}* · priority ${job.priority}${created}\n` +
    `${operation.summary} · ${tasksText(job.progress)}\n` +
    `${descriptionText(job.description, 200)}`;
  return [section(text), actions(`cosjob_list_${index}`, buttonsFor(region, job))];
}

/** One entry per job, with its buttons; when Slack's limits are reached, says how many were left out. */
export function jobListMessage(items: readonly JobListItem[]): SlackMessage {
  const title = `COS batch jobs (${items.length})`;
  const blocks: KnownBlock[] = [header(title)];
  if (items.length === 0) {
    blocks.push(section('No jobs match. Try `/cosjob list` without a status, or another `--region`.'));
    return { text: 'No COS batch jobs match.', blocks };
  }
  const reservedBlocks = 1; // the "more jobs" line
  let shown = 0;
  for (const [index, item] of items.entries()) {
    const entry = listEntry(item, index);
    const tooManyBlocks = blocks.length + entry.length + reservedBlocks > SLACK_LIMITS.blocksPerMessage;
    const tooMuchText = blockTextLength(blocks) + blockTextLength(entry) + 300 > MESSAGE_TEXT_BUDGET;
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
  const suspended = items.filter((i) => i.job.status === 'Suspended').length;
  return {
    text: fallbackText(`${plural(items.length, 'COS batch job')}, ${suspended} awaiting approval.`),
    blocks,
  };
}

const STATUS_FAILURE_REASONS = 20;

export function jobStatusMessage(region: string, job: Job): SlackMessage {
  const operation = describeOperation(job.operation);
  const blocks: KnownBlock[] = [
    header(`Job ${job.id}`),
    section(
      `*Operation:* ${operation.summary}` +
        (operation.destructive ? '\n⚠️ *This job is destructive*; approving it cannot be undone.' : ''),
    ),
    jobFields(region, job),
    section(`*Description:* ${descriptionText(job.description, 1500)}`),
  ];
  const detailLines = [...manifestLines(job), ...operation.details];
  if (job.report?.enabled) {
    detailLines.push(
      `*Report:* bucket ${code(job.report.bucket, 80)}, prefix ${code(job.report.prefix, 120)}`,
    );
  }
  if (detailLines.length > 0) blocks.push(context([detailLines.join('\n')]));

  const state: string[] = [`*Progress:* ${tasksText(job.progress)}`];
  if (job.statusUpdateReason) state.push(`*Status reason:* ${userText(job.statusUpdateReason, 300)}`);
  if (job.suspendedCause) state.push(`*Suspended because:* ${userText(job.suspendedCause, 600)}`);
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
  blocks.push(actions('cosjob_status_actions', buttonsFor(region, job)));
  return {
    text: fallbackText(
      `Job ${escapeMrkdwn(truncate(job.id, 64))} (${escapeMrkdwn(region)}): ${escapeMrkdwn(truncate(job.status, 40))}, ${escapeMrkdwn(operation.plainSummary)}.`,
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
  ];
  return {
    text: 'cosjob commands: list, status, approve, cancel, audit (add --region R to choose a region).',
    blocks: [header('cosjob commands'), section(lines.map((l) => `• ${l}`).join('\n'))],
  };
}
