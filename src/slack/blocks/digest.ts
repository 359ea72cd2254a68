/** The burst digest: many new jobs in one message, each row with the same buttons as its card. */

import type { KnownBlock } from '@slack/types';
import type { Job } from '../../cos/model.js';
import { DEFAULT_ACCOUNT_NAME } from '../../jobs/job-ref.js';
import type { CardPhase } from './job-card.js';
import { byWhom, decisionButtons, tasksText } from './job-card.js';
import { describeOperation } from './operation.js';
import {
  actions,
  code,
  context,
  fallbackText,
  header,
  mentionUser,
  mentionUsers,
  plural,
  type SlackMessage,
  section,
  slackTime,
  TEXT_CAPS,
  userText,
} from './text.js';

/**
 * Slack allows 50 blocks per message; a row takes two (its text and its buttons), so 20 rows plus the
 * header and the footer stay within it.
 */
export const MAX_DIGEST_ROWS = 20;

export interface DigestRow {
  account: string;
  region: string;
  job: Job;
  phase: CardPhase;
  approvals: { required: number; voterIds: string[] };
}

export interface DigestInput {
  rows: DigestRow[];
}

export function burstDigest(input: DigestInput): SlackMessage {
  const rows = input.rows.slice(0, MAX_DIGEST_ROWS);
  const pending = rows.filter((row) => row.phase.kind === 'pending').length;
  const blocks: KnownBlock[] = [header(`🗂️ ${plural(rows.length, 'new COS batch job')} to review`)];
  rows.forEach((row, index) => {
    const operation = describeOperation(row.job.operation);
    blocks.push(section(rowText(row, operation.summary, operation.destructive)));
    if (row.phase.kind === 'pending') {
      blocks.push(
        actions(
          `cosjob_digest_${index}`,
          decisionButtons(
            { account: row.account, region: row.region, jobId: row.job.id },
            operation.plainSummary,
            operation.destructive,
          ),
        ),
      );
    }
  });
  blocks.push(
    context([
      `${plural(pending, 'job')} still waiting. Each job also gets its own card with its thread, posted at Slack's pace; a decision taken here or there shows on both.`,
    ]),
  );
  return {
    text: fallbackText(`${plural(rows.length, 'new COS batch job')} to review; ${pending} waiting.`),
    blocks,
  };
}

function rowText(row: DigestRow, summary: string, destructive: boolean): string {
  const account =
    row.account === DEFAULT_ACCOUNT_NAME ? '' : `*${userText(row.account, TEXT_CAPS.region)}* · `;
  const subject = `${code(row.job.id, TEXT_CAPS.jobId)} · ${account}${userText(row.region, TEXT_CAPS.region)} · ${tasksText(row.job.progress)}`;
  const what = `${summary}${destructive ? ' ⚠️ *destructive*' : ''}`;
  return `${subject}\n${what}\n${outcomeLine(row)}`;
}

function outcomeLine(row: DigestRow): string {
  const { phase, approvals } = row;
  switch (phase.kind) {
    case 'pending': {
      const required = Number.isSafeInteger(approvals.required) ? Math.max(1, approvals.required) : 1;
      const voters = approvals.voterIds.length > 0 ? `: ${mentionUsers(approvals.voterIds)}` : '';
      return `*Approvals:* ${approvals.voterIds.length} of ${plural(required, 'approval')}${voters}`;
    }
    case 'in_progress':
      return `⏳ ${mentionUser(phase.byUserId)} is ${phase.action === 'approve' ? 'approving' : 'cancelling'} this job…`;
    case 'approved':
      return `✅ *Approved* by ${mentionUsers(phase.byUserIds)} · ${slackTime(phase.at)}`;
    case 'cancelled':
      return `🛑 *Cancelled* ${byWhom(phase.byUserId)} · ${slackTime(phase.at)}`;
    case 'changed_outside':
      return `↪️ Changed outside Slack to *${userText(phase.status, TEXT_CAPS.status)}*`;
    case 'expired':
      return `⌛ Expired ${slackTime(phase.at)}`;
    case 'finished':
      return `🏁 *${userText(phase.status, TEXT_CAPS.status)}* · ${slackTime(phase.at)}`;
  }
}
