/** Replies posted in the card's thread: audit lines, progress, the final summary and reminders. */

import type { KnownBlock } from '@slack/types';
import { SYSTEM_ACTOR } from '../../approvals/ports.js';
import type { AuditAction, AuditEntry, VerifyProblem, VerifyResult } from '../../audit/types.js';
import type { Job } from '../../cos/model.js';
import { commandCode, failureLine, hoursText, reportLocation, tasksText } from './job-card.js';
import {
  blockTextLength,
  code,
  context,
  fallbackText,
  header,
  MESSAGE_TEXT_BUDGET,
  mentionUser,
  mentionUsergroup,
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

const ACTION_WORDS: Record<AuditAction, string> = {
  posted: 'posted the job for approval',
  approve_vote: 'voted to approve',
  approve_requested: 'asked COS to start the job',
  approved: 'approved the job',
  cancel_requested: 'asked COS to cancel the job',
  cancelled: 'cancelled the job',
  denied: 'was refused',
  failed: 'hit an error',
  status_changed: 'saw the status change',
  changed_outside: 'saw a change made outside Slack',
  reminded: 'sent a reminder',
  expired: 'expired the request',
  reconciled: 'reconciled with COS',
  finished: 'recorded the finish',
  rule_changed: 'noticed the approval rule changed',
};

function actionWords(action: string): string {
  return Object.hasOwn(ACTION_WORDS, action)
    ? ACTION_WORDS[action as AuditAction]
    : `did ${code(action, TEXT_CAPS.action)}`;
}

/** Sequence numbers as stored (no separators, so they match the CLI and Redis); "?" if not one. */
function seqText(seq: number): string {
  return Number.isSafeInteger(seq) ? String(seq) : '?';
}

function actorText(entry: AuditEntry): string {
  if (entry.actor.id === SYSTEM_ACTOR.id) return 'cosjob';
  return mentionUser(entry.actor.id);
}

/** One line: when, who, what, outcome, reason, COS status and request id. */
export function auditEntryLine(entry: AuditEntry): string {
  const parts = [`${slackTime(entry.time)} ${actorText(entry)} ${actionWords(entry.action)}`];
  if (entry.outcome) parts.push(`outcome ${code(entry.outcome, TEXT_CAPS.outcome)}`);
  if (entry.reason?.trim()) parts.push(`reason “${userText(entry.reason.trim(), TEXT_CAPS.lineReason)}”`);
  if (entry.cosStatus) parts.push(`COS status ${code(entry.cosStatus, TEXT_CAPS.status)}`);
  if (entry.cosErrorCode) parts.push(`COS error ${code(entry.cosErrorCode, TEXT_CAPS.errorCode)}`);
  if (entry.cosRequestId) parts.push(`request id ${code(entry.cosRequestId, TEXT_CAPS.requestId)}`);
  if (entry.rule) parts.push(`rule ${code(entry.rule, TEXT_CAPS.ruleName)}`);
  return `#${seqText(entry.jobSeq)} ${parts.join(' · ')}`;
}

export function auditEntryReply(entry: AuditEntry): SlackMessage {
  const line = auditEntryLine(entry);
  return {
    text: fallbackText(
      `Audit: ${entry.actor.id === SYSTEM_ACTOR.id ? 'cosjob' : userText(entry.actor.name || entry.actor.id, TEXT_CAPS.displayName)} ` +
        `${actionWords(entry.action)}${entry.outcome ? ` (${userText(entry.outcome, TEXT_CAPS.outcome)})` : ''}`,
    ),
    blocks: [
      section(line),
      context([
        `Audit entry ${code(entry.entryId, TEXT_CAPS.entryId)} · chain hash ${code(entry.hash.slice(0, 16), 16)}`,
      ]),
    ],
  };
}

function problemText(problem: VerifyProblem): string {
  const detail = userText(problem.detail, TEXT_CAPS.verifyDetail);
  switch (problem.kind) {
    case 'edited':
      return `entry #${seqText(problem.seq)} was edited: ${detail}`;
    case 'inserted':
      return `an entry was inserted at #${seqText(problem.seq)}: ${detail}`;
    case 'removed':
      return `an entry was removed after #${seqText(problem.afterSeq)}: ${detail}`;
    case 'truncated':
      return `the trail was truncated: ${detail}`;
    case 'malformed':
      return `a malformed entry (stream id ${code(problem.streamId, TEXT_CAPS.streamId)}): ${detail}`;
    case 'rolled_back':
      return `the newest entries after #${seqText(problem.afterSeq)} were cut and the head rolled back: ${detail}`;
    case 'diverged':
      return `the job's chain and the global chain disagree at #${seqText(problem.seq)}: ${detail}`;
    case 'missing_from_job':
      return `entry #${seqText(problem.seq)} is missing from the job's chain: ${detail}`;
    case 'misindexed':
      return `the entry index does not match the chain: ${detail}`;
    case 'lost':
      return `recorded history is missing from the trail: ${detail}`;
  }
}

function verificationLine(verify: VerifyResult): string {
  if (verify.ok) {
    const head = verify.headHash ? `, head hash ${code(verify.headHash.slice(0, 16), 16)}` : '';
    return `✅ Hash chain verified: ${plural(verify.entries, 'entry', 'entries')} intact${head}.`;
  }
  const first = verify.problem ? `first problem: ${problemText(verify.problem)}` : 'no detail was given';
  return `❌ *Hash chain verification failed* after checking ${plural(verify.entries, 'entry', 'entries')}; ${first}. Do not trust this trail; tell an administrator.`;
}

/** Lines packed into sections of at most 3000 characters each, so a section never has to cut a line. */
function packLines(lines: readonly string[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = '';
  for (const line of lines) {
    const next = current ? `${current}\n${line}` : line;
    if (next.length > SLACK_LIMITS.sectionText && current) {
      blocks.push(section(current));
      current = line;
    } else {
      current = next;
    }
  }
  if (current) blocks.push(section(current));
  return blocks;
}

/**
 * The whole trail, newest last. Long trails keep the newest entries that fit Slack's limits and summarise
 * the older ones by action, so the message never exceeds 50 blocks or the aggregate text budget.
 */
export function auditTrailMessage(entries: readonly AuditEntry[], verify: VerifyResult): SlackMessage {
  const first = entries[0];
  const title = first
    ? `Audit trail for job ${userPlain(first.jobId, TEXT_CAPS.jobId)} (${userPlain(first.region, TEXT_CAPS.region)})`
    : 'Audit trail';
  const top: KnownBlock[] = [header(title), section(verificationLine(verify))];
  // The title is already neutralised and capped; escaping is all the fallback needs.
  const fallbackTitle = userText(title, SLACK_LIMITS.headerText);
  if (entries.length === 0) {
    const blocks = [...top, section('No audit entries were recorded for this job.')];
    return { text: fallbackText(`${fallbackTitle}: no entries.`), blocks };
  }

  // Walk back from the newest entry while the lines still fit; each line is at most ~900 characters.
  const maxBlocks = SLACK_LIMITS.blocksPerMessage - top.length - 1;
  const budget = MESSAGE_TEXT_BUDGET - blockTextLength(top) - 600;
  const kept: string[] = [];
  let used = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const line = auditEntryLine(entries[i] as AuditEntry);
    if (used + line.length + 1 > budget) break;
    kept.unshift(line);
    used += line.length + 1;
  }
  let body = packLines(kept);
  while (body.length > maxBlocks) {
    kept.shift();
    body = packLines(kept);
  }
  const omitted = entries.length - kept.length;
  const blocks = [...top];
  if (omitted > 0) blocks.push(context([olderSummary(entries.slice(0, omitted))]));
  blocks.push(...body);

  const status = verify.ok ? 'chain verified' : 'CHAIN VERIFICATION FAILED';
  return {
    text: fallbackText(`${fallbackTitle}: ${plural(entries.length, 'entry', 'entries')}, ${status}.`),
    blocks,
  };
}

function olderSummary(older: readonly AuditEntry[]): string {
  const counts = new Map<string, number>();
  for (const entry of older) counts.set(entry.action, (counts.get(entry.action) ?? 0) + 1);
  const byAction = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([action, count]) => `${userText(action, TEXT_CAPS.action)} ×${count}`)
    .join(', ');
  const firstEntry = older[0] as AuditEntry;
  const lastEntry = older[older.length - 1] as AuditEntry;
  return (
    `${plural(older.length, 'older entry', 'older entries')} not shown ` +
    `(${slackTime(firstEntry.time)} to ${slackTime(lastEntry.time)}): ${byAction}. ` +
    `Use ${commandCode('audit', firstEntry.jobId)} or the CLI for the full trail.`
  );
}

function percentDone(job: Job): number | undefined {
  const { totalTasks, succeededTasks, failedTasks } = job.progress;
  const counts = [totalTasks, succeededTasks, failedTasks];
  if (!counts.every(Number.isFinite) || totalTasks <= 0) return undefined;
  // Floor, so a running job never shows 100% before COS says it finished.
  return Math.min(100, Math.floor(((succeededTasks + failedTasks) / totalTasks) * 100));
}

export function progressReply(job: Job): SlackMessage {
  const percent = percentDone(job);
  const done = percent === undefined ? 'no tasks counted yet' : `${percent}% done`;
  const { succeededTasks, failedTasks } = job.progress;
  const line =
    `⏳ Job ${code(job.id, TEXT_CAPS.jobId)} is *${userText(job.status, TEXT_CAPS.status)}*: ${done} · ` +
    `${numberText(succeededTasks)} succeeded, ${numberText(failedTasks)} failed` +
    ` of ${plural(job.progress.totalTasks, 'task')}`;
  return {
    text: fallbackText(
      `Job ${userText(job.id, TEXT_CAPS.jobId)} is ${userText(job.status, TEXT_CAPS.status)}: ${done}.`,
    ),
    blocks: [section(line)],
  };
}

function finishedTitle(status: string): string {
  switch (status) {
    case 'Complete':
      return '🏁 Complete';
    case 'Failed':
      return '❌ Failed';
    case 'Cancelled':
      return '🛑 Cancelled';
    default:
      return `🏁 Finished with status ${userPlain(status, TEXT_CAPS.status)}`;
  }
}

/** Counters and every failure reason COS reported, as many as Slack's limits allow, saying how many more. */
export function finishedSummary(job: Job): SlackMessage {
  const title = finishedTitle(job.status);
  const blocks: KnownBlock[] = [
    section(
      `*${userText(title, 80)}* · job ${code(job.id, TEXT_CAPS.jobId)}${job.terminationDate ? ` · ${slackTime(job.terminationDate)}` : ''}\n` +
        `*Tasks:* ${tasksText(job.progress)}` +
        (job.statusUpdateReason
          ? `\n*COS says:* ${userText(job.statusUpdateReason, TEXT_CAPS.statusUpdateReason)}`
          : '') +
        (job.progress.failedTasks > 0 && job.report?.enabled
          ? `\nPer-object results are in the report: ${reportLocation(job.report)}.`
          : ''),
    ),
  ];
  const failures = job.failureReasons.filter((f) => f.code || f.reason);
  if (failures.length > 0) {
    const reserve = 2; // the "more" context line and slack for the header line
    const maxBlocks = SLACK_LIMITS.blocksPerMessage - blocks.length - reserve;
    const budget = MESSAGE_TEXT_BUDGET - blockTextLength(blocks) - 300;
    const lines: string[] = [];
    let used = 0;
    for (const failure of failures) {
      const line = `• ${failureLine(failure)}`;
      if (used + line.length + 1 > budget) break;
      lines.push(line);
      used += line.length + 1;
    }
    let packed = packLines([`*Failure reasons (${failures.length}):*`, ...lines]);
    while (packed.length > maxBlocks) {
      lines.pop();
      packed = packLines([`*Failure reasons (${failures.length}):*`, ...lines]);
    }
    blocks.push(...packed);
    if (lines.length < failures.length) {
      blocks.push(
        context([
          `…and ${plural(failures.length - lines.length, 'more failure reason')} not shown. ` +
            `Run ${commandCode('status', job.id)} or the CLI for the full list.`,
        ]),
      );
    }
  }
  return {
    text: fallbackText(
      `Job ${userText(job.id, TEXT_CAPS.jobId)} finished: ${userText(job.status, TEXT_CAPS.status)}, ` +
        `${numberText(job.progress.succeededTasks)} succeeded, ${numberText(job.progress.failedTasks)} failed ` +
        `of ${plural(job.progress.totalTasks, 'task')}.`,
    ),
    blocks,
  };
}

export function changedOutsideReply(status: string): SlackMessage {
  const shown = userText(status, TEXT_CAPS.status);
  return {
    text: fallbackText(`The job's status changed outside Slack to ${shown}.`),
    blocks: [
      section(
        `↪️ The job's status changed outside Slack (console, API or another tool) to *${shown}*. ` +
          'The approval buttons were removed; nothing was sent to COS from here.',
      ),
    ],
  };
}

export interface ReminderInput {
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
  waitingMinutes: number;
}

export function waitingText(minutes: number): string {
  const whole = Math.max(0, Math.floor(Number.isFinite(minutes) ? minutes : 0));
  if (whole < 60) return plural(whole, 'minute');
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}

export function reminderReply(input: ReminderInput): SlackMessage {
  const mentions = [
    ...input.approverUserIds.slice(0, 30).map(mentionUser),
    ...input.approverUsergroupIds.slice(0, 10).map(mentionUsergroup),
  ];
  const who = mentions.length > 0 ? `${mentions.join(' ')} ` : '';
  const waited = waitingText(input.waitingMinutes);
  return {
    text: fallbackText(`Reminder: this COS batch job has waited ${waited} for approval.`),
    blocks: [
      section(`🔔 ${who}this job has been waiting ${waited} for a decision. Approve or cancel it above.`),
    ],
  };
}

export function expiredReply(hours: number): SlackMessage {
  const window = hoursText(hours);
  return {
    text: fallbackText(`No decision within ${window}; the approval request expired.`),
    blocks: [
      section(
        `⌛ No decision within ${window}: this approval request has expired and its buttons were removed. ` +
          'Use `/cosjob status &lt;JobId&gt;` to see where the job stands now.',
      ),
    ],
  };
}

/** "the last minute", "the last 30 seconds", "the last 2 hours". */
function intervalWords(seconds: number): string {
  if (seconds === 60) return 'the last minute';
  if (seconds % 3600 === 0) return `the last ${plural(seconds / 3600, 'hour')}`;
  if (seconds % 60 === 0) return `the last ${seconds / 60} minutes`;
  return `the last ${plural(seconds, 'second')}`;
}

/**
 * One reply for every refusal on a card in one interval, each audit entry on its own line, once. What
 * does not fit Slack's limits is counted at the end (the audit trail button shows everything).
 */
export function refusalDigestReply(entries: readonly AuditEntry[], intervalSeconds: number): SlackMessage {
  const title = `${plural(entries.length, 'refused attempt')} in ${intervalWords(intervalSeconds)}`;
  const blocks: KnownBlock[] = [section(`🚫 *${title}:*`)];
  let shown = 0;
  for (const entry of entries) {
    const block = context([auditEntryLine(entry)]);
    if (blocks.length + 2 > SLACK_LIMITS.blocksPerMessage) break;
    if (blockTextLength(blocks) + blockTextLength([block]) + 200 > MESSAGE_TEXT_BUDGET) break;
    blocks.push(block);
    shown++;
  }
  if (shown < entries.length) {
    blocks.push(
      context([`…and ${entries.length - shown} more: use *Audit trail* on the card to see them all.`]),
    );
  }
  return { text: fallbackText(`${title}.`), blocks };
}
