/** The channel card for one job: what it will do, who approved it, and the buttons while it is pending. */

import type { Button, KnownBlock } from '@slack/types';
import { SYSTEM_ACTOR } from '../../approvals/ports.js';
import type { Job, JobFailure, JobProgress, JobReport, JobSummary } from '../../cos/model.js';
import { DEFAULT_ACCOUNT_NAME, type JobRef } from '../../jobs/job-ref.js';
import { encodeJobRef } from '../job-ref.js';
import { ACTION_IDS } from './ids.js';
import { manifestObjectUrl } from './links.js';
import { describeOperation } from './operation.js';
import {
  actions,
  button,
  code,
  context,
  fallbackText,
  fieldsSection,
  header,
  mentionUser,
  mentionUsers,
  numberText,
  plainTime,
  plural,
  type SlackMessage,
  section,
  slackTime,
  TEXT_CAPS,
  userPlain,
  userText,
} from './text.js';

export type CardPhase =
  | { kind: 'pending' }
  | { kind: 'in_progress'; byUserId: string; action: 'approve' | 'cancel' }
  | { kind: 'approved'; byUserIds: string[]; at: string; reason?: string; cosStatus?: string }
  | { kind: 'cancelled'; byUserId: string; at: string; reason?: string; cosStatus?: string }
  | { kind: 'changed_outside'; status: string; at: string }
  | { kind: 'expired'; at: string; hours: number }
  | {
      kind: 'finished';
      status: string;
      progress: JobProgress;
      failureReasons: JobFailure[];
      at: string;
      /** Who decided, so the card keeps saying it after the job ends. */
      decision?: {
        action: 'approve' | 'cancel';
        byUserIds: string[];
        at: string;
        reason?: string;
      };
    };

export interface JobCardInput {
  /** The job's account: named on the card unless it is the default account. */
  account: string;
  region: string;
  job: Job;
  phase: CardPhase;
  approvals: { required: number; voterIds: string[] };
  /**
   * The job's approval rule as mrkdwn lines (src/slack/blocks/rule.ts): what it requires, and a note when
   * it changed while the job waited. Shown while the job waits for a decision.
   */
  rule?: { line: string; change?: string };
  /** When the card was first posted (ISO-8601). */
  postedAt?: string;
}

const CARD_FAILURE_REASONS = 5;

export function jobCard(input: JobCardInput): SlackMessage {
  const { account, region, job, phase } = input;
  const ref = { account, region, jobId: job.id };
  const operation = describeOperation(job.operation);
  const blocks: KnownBlock[] = [header(cardTitle(phase))];
  if (account !== DEFAULT_ACCOUNT_NAME) blocks.push(context([accountLine(account, region)]));

  blocks.push(section(operationLine(operation.summary, operation.destructive)));
  blocks.push(jobFields(region, job, account));
  blocks.push(section(`*Description:* ${descriptionText(job.description, TEXT_CAPS.descriptionCard)}`));
  const detailLines = [...manifestLines(job), ...operation.details];
  if (detailLines.length > 0) blocks.push(context([detailLines.join('\n')]));

  blocks.push(section(phaseText(input)));

  const buttons: Button[] = [];
  if (phase.kind === 'pending')
    buttons.push(...decisionButtons(ref, operation.plainSummary, operation.destructive));
  buttons.push(auditButton(ref));
  blocks.push(actions('cosjob_actions', buttons));

  if (input.postedAt) blocks.push(context([`Posted ${slackTime(input.postedAt)}`]));

  return { text: fallbackText(cardFallback(input, operation.plainSummary)), blocks };
}

function cardTitle(phase: CardPhase): string {
  switch (phase.kind) {
    case 'pending':
      return '🗂️ COS batch job awaiting approval';
    case 'in_progress':
      return phase.action === 'approve' ? '⏳ COS batch job: approving…' : '⏳ COS batch job: cancelling…';
    case 'approved':
      return '✅ COS batch job approved';
    case 'cancelled':
      return '🛑 COS batch job cancelled';
    case 'changed_outside':
      return '↪️ COS batch job changed outside Slack';
    case 'expired':
      return '⌛ COS batch job approval request expired';
    case 'finished':
      return `🏁 COS batch job finished: ${userPlain(phase.status, TEXT_CAPS.status)}`;
  }
}

function operationLine(summary: string, destructive: boolean): string {
  const warning = destructive
    ? '\n⚠️ *This job is destructive.* Approving runs it on every object in the manifest; it cannot be undone.'
    : '';
  return `*Operation:* ${summary}${warning}`;
}

/** "Account *prod* · ap-guangzhou": which account's job this is, on cards and digest rows. */
export function accountLine(account: string, region: string): string {
  return `Account *${userText(account, TEXT_CAPS.region)}* · ${userText(region, TEXT_CAPS.region)}`;
}

/**
 * Region (and the account, unless it is the default one), id, priority, tasks, creation time and COS
 * status, shared by the card, status and list views.
 */
export function jobFields(
  region: string,
  job: Job | JobSummary,
  account: string = DEFAULT_ACCOUNT_NAME,
): KnownBlock {
  return fieldsSection([
    ...(account === DEFAULT_ACCOUNT_NAME ? [] : [`*Account*\n${userText(account, TEXT_CAPS.region)}`]),
    `*Region*\n${userText(region, TEXT_CAPS.region)}`,
    `*Job ID*\n${code(job.id, TEXT_CAPS.jobId)}`,
    `*Priority*\n${numberText(job.priority)}`,
    `*Tasks*\n${tasksText(job.progress)}`,
    `*Created*\n${job.creationTime ? slackTime(job.creationTime) : 'unknown'}`,
    `*COS status*\n${userText(job.status, TEXT_CAPS.status)}`,
  ]);
}

export function tasksText(progress: JobProgress): string {
  const total = plural(progress.totalTasks, 'task');
  if (progress.succeededTasks === 0 && progress.failedTasks === 0) return total;
  return `${total} (${numberText(progress.succeededTasks)} succeeded, ${numberText(progress.failedTasks)} failed)`;
}

export function descriptionText(description: string, maxChars: number): string {
  const trimmed = description.trim();
  return trimmed ? userText(trimmed, maxChars, 'lines') : '_(no description)_';
}

export function manifestLines(job: Job): string[] {
  if (!job.manifest) return [];
  const { objectArn, etag, objectVersionId } = job.manifest.location;
  const version = objectVersionId ? ` · version ${code(objectVersionId, TEXT_CAPS.versionId)}` : '';
  const url = manifestObjectUrl(objectArn);
  return [
    `*Manifest:* ${code(objectArn, TEXT_CAPS.objectKey)} · ETag ${code(etag, TEXT_CAPS.etag)}${version}`,
    ...(url ? [`<${url}|Open the manifest object>`] : []),
  ];
}

/** At least one; a policy number that is not a whole number (it comes from Redis or config) shows as 1. */
function requiredApprovals(approvals: JobCardInput['approvals']): number {
  return Number.isSafeInteger(approvals.required) ? Math.max(1, approvals.required) : 1;
}

/** Where a job writes its per-object report, for the finished summary and the status view. */
export function reportLocation(report: JobReport): string {
  return `bucket ${code(report.bucket, TEXT_CAPS.bucket)}, prefix ${code(report.prefix, TEXT_CAPS.prefix)}`;
}

/** A `/cosjob <sub> <JobId>` line to type, with the JobId capped and kept inside one code span. */
export function commandCode(subcommand: 'status' | 'audit', jobId: string): string {
  return code(`/cosjob ${subcommand} ${userPlain(jobId, TEXT_CAPS.jobId)}`, TEXT_CAPS.jobId + 20);
}

function approvalsLine(approvals: JobCardInput['approvals']): string {
  const count = `${approvals.voterIds.length} of ${plural(requiredApprovals(approvals), 'approval')}`;
  return approvals.voterIds.length > 0 ? `${count}: ${mentionUsers(approvals.voterIds)}` : count;
}

export function byWhom(userId: string): string {
  return userId === SYSTEM_ACTOR.id ? 'automatically by cosjob' : `by ${mentionUser(userId)}`;
}

function outcomeExtras(reason: string | undefined, cosStatus: string | undefined): string {
  let text = '';
  if (reason?.trim()) text += `\n*Reason:* ${userText(reason.trim(), TEXT_CAPS.reason, 'lines')}`;
  if (cosStatus) text += `\n*COS status:* ${userText(cosStatus, TEXT_CAPS.status)}`;
  return text;
}

function ruleText(input: JobCardInput): string {
  if (!input.rule) return '';
  return `\n${input.rule.line}${input.rule.change ? `\n${input.rule.change}` : ''}`;
}

function phaseText(input: JobCardInput): string {
  const { phase } = input;
  switch (phase.kind) {
    case 'pending':
      return `*Approvals:* ${approvalsLine(input.approvals)}${ruleText(input)}`;
    case 'in_progress': {
      const doing = phase.action === 'approve' ? 'approving' : 'cancelling';
      return `*Approvals:* ${approvalsLine(input.approvals)}${ruleText(input)}\n⏳ ${mentionUser(phase.byUserId)} is ${doing} this job…`;
    }
    case 'approved':
      return `✅ *Approved* by ${mentionUsers(phase.byUserIds)} · ${slackTime(phase.at)}${outcomeExtras(phase.reason, phase.cosStatus)}`;
    case 'cancelled':
      return `🛑 *Cancelled* ${byWhom(phase.byUserId)} · ${slackTime(phase.at)}${outcomeExtras(phase.reason, phase.cosStatus)}`;
    case 'changed_outside':
      return `↪️ The job's status changed outside Slack to *${userText(phase.status, TEXT_CAPS.status)}* (seen ${slackTime(phase.at)}). Nothing is left to approve here.`;
    case 'expired':
      return `⌛ No decision within ${hoursText(phase.hours)}; this request expired ${slackTime(phase.at)}.\n*Approvals:* ${approvalsLine(input.approvals)}`;
    case 'finished':
      return finishedText(phase);
  }
}

function finishedText(phase: Extract<CardPhase, { kind: 'finished' }>): string {
  const lines = [
    `🏁 *${userText(phase.status, TEXT_CAPS.status)}* · ${slackTime(phase.at)}`,
    `*Tasks:* ${tasksText(phase.progress)}`,
  ];
  const decision = phase.decision;
  if (decision) {
    const who =
      decision.action === 'approve'
        ? `✅ Approved by ${mentionUsers(decision.byUserIds)}`
        : `🛑 Cancelled ${byWhom(decision.byUserIds[0] ?? SYSTEM_ACTOR.id)}`;
    const why = decision.reason?.trim()
      ? ` · *Reason:* ${userText(decision.reason.trim(), TEXT_CAPS.reason)}`
      : '';
    lines.splice(1, 0, `${who} · ${slackTime(decision.at)}${why}`);
  }
  const shown = phase.failureReasons.slice(0, CARD_FAILURE_REASONS);
  for (const failure of shown) lines.push(`• ${failureLine(failure)}`);
  if (phase.failureReasons.length > shown.length) {
    lines.push(
      `…and ${plural(phase.failureReasons.length - shown.length, 'more failure reason')} (see the thread).`,
    );
  }
  return lines.join('\n');
}

export function failureLine(failure: JobFailure): string {
  const codePart = failure.code ? `${code(failure.code, TEXT_CAPS.errorCode)} ` : '';
  const reason = failure.reason.trim();
  return `${codePart}${reason ? userText(reason, TEXT_CAPS.failureReason) : '_(no reason given)_'}`;
}

export function hoursText(hours: number): string {
  if (!Number.isFinite(hours) || hours < 0) return 'the approval window';
  const rounded = Math.round(hours * 10) / 10;
  return `${rounded} ${rounded === 1 ? 'hour' : 'hours'}`;
}

export function decisionButtons(ref: JobRef, plainSummary: string, destructive: boolean): Button[] {
  const { account, region, jobId } = ref;
  const value = encodeJobRef(ref);
  const place =
    account === DEFAULT_ACCOUNT_NAME
      ? userText(region, TEXT_CAPS.region)
      : `${userText(region, TEXT_CAPS.region)} (account ${userText(account, TEXT_CAPS.region)})`;
  return [
    button({
      actionId: ACTION_IDS.approve,
      text: 'Approve',
      value,
      style: 'primary',
      confirm: {
        title: 'Approve this COS job?',
        text:
          `Approve job ${code(jobId, TEXT_CAPS.jobId)} in ${place}? ` +
          `COS will start it: ${userText(plainSummary, 120)}.${destructive ? ' *This deletes data.*' : ''}`,
        confirm: 'Approve',
        deny: 'Back',
        style: destructive ? 'danger' : 'primary',
      },
    }),
    button({ actionId: ACTION_IDS.cancel, text: 'Cancel', value, style: 'danger' }),
  ];
}

export function auditButton(ref: JobRef): Button {
  return button({
    actionId: ACTION_IDS.audit,
    text: 'View audit trail',
    value: encodeJobRef(ref),
  });
}

function cardFallback(input: JobCardInput, plainSummary: string): string {
  const { phase, account, region, job } = input;
  const place =
    account === DEFAULT_ACCOUNT_NAME
      ? userText(region, TEXT_CAPS.region)
      : `${userText(account, TEXT_CAPS.region)}, ${userText(region, TEXT_CAPS.region)}`;
  const subject = `COS batch job ${userText(job.id, TEXT_CAPS.jobId)} (${place})`;
  const what = userText(plainSummary, 200);
  switch (phase.kind) {
    case 'pending':
      return `${subject} awaits approval: ${what}. ${input.approvals.voterIds.length} of ${plural(requiredApprovals(input.approvals), 'approval')}.`;
    case 'in_progress':
      return `${subject} is being ${phase.action === 'approve' ? 'approved' : 'cancelled'}.`;
    case 'approved':
      return `${subject} was approved at ${plainTime(phase.at)}: ${what}.`;
    case 'cancelled':
      return `${subject} was cancelled at ${plainTime(phase.at)}.`;
    case 'changed_outside':
      return `${subject} changed outside Slack to ${userText(phase.status, TEXT_CAPS.status)}.`;
    case 'expired':
      return `${subject}: the approval request expired after ${hoursText(phase.hours)}.`;
    case 'finished':
      return `${subject} finished: ${userText(phase.status, TEXT_CAPS.status)}.`;
  }
}
