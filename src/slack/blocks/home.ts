/**
 * The Home tab for one person: the jobs waiting for approval grouped by where they run, with Approve and
 * Cancel for someone who may act (the card's own action ids and values, so the card's listeners handle
 * them), the last decisions, and the poll health of each (account, region). A Home tab holds at most 100 blocks: jobs that
 * do not fit are counted per group and the person is pointed to `/cosjob list`.
 */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../../audit/types.js';
import type { Job } from '../../cos/model.js';
import { accountRegionLabel, DEFAULT_ACCOUNT_NAME, jobRefKey } from '../../jobs/job-ref.js';
import { decisionButtons, tasksText } from './job-card.js';
import { describeOperation } from './operation.js';
import {
  actions,
  code,
  context,
  divider,
  header,
  mentionUser,
  mentionUsers,
  plural,
  SLACK_LIMITS,
  type SlackMessage,
  section,
  slackTime,
  TEXT_CAPS,
  userText,
} from './text.js';

/** The Home tab's block limit (Block Kit: 100 blocks in modals and Home tabs). */
export const HOME_BLOCK_LIMIT = SLACK_LIMITS.blocksPerModal;
/** The most blocks a notice (the answer to a click made on the Home tab) may take at the top. */
const NOTICE_BLOCKS = 3;
const DECISION_REASON_CHARS = 120;

export interface HomeJob {
  account: string;
  region: string;
  jobId: string;
  job: Job;
  firstSeenAt: number;
  voterIds: readonly string[];
  requiredApprovals: number;
  /** Whether the viewer may act on this job by its rule; absent: as `HomeInput.mayAct` says. */
  mayAct?: boolean;
  /** Where its card is, when it has been posted. */
  card?: { channel: string };
}

/**
 * How waiting jobs are grouped, outermost level first. Each level names the part of the job it groups by;
 * the group's title joins the levels' non-empty values. The default account adds nothing to the title,
 * so environment-only configuration groups by region alone, as before several accounts.
 */
export interface GroupingLevel {
  name: string;
  of: (job: HomeJob) => string;
}
export const HOME_GROUPING: readonly GroupingLevel[] = [
  { name: 'account', of: (job) => (job.account === DEFAULT_ACCOUNT_NAME ? '' : job.account) },
  { name: 'region', of: (job) => job.region },
];

/** One (account, region) pair's poll health. */
export type RegionPollLine = { account: string; region: string } & (
  | { kind: 'ok'; lastOkAt: number }
  | { kind: 'failing'; reason: string; failures: number; lastOkAt?: number }
  | { kind: 'stale'; lastOkAt: number }
  | { kind: 'never' }
);

/** A part that could not be read is shown as such; the rest of the Home still renders. */
export type Part<T> = { ok: true; value: T } | { ok: false };

export interface HomeInput {
  viewerId: string;
  /** Whether the viewer may approve or cancel under any rule (the engine's policy, no job known). */
  mayAct: boolean;
  waiting: Part<{ jobs: readonly HomeJob[]; unread: number; unreadable: number }>;
  decisions: Part<{ entries: readonly AuditEntry[]; capped: boolean }>;
  regions: Part<readonly RegionPollLine[]>;
  /** ISO-8601: when this view was built. */
  now: string;
  /** The answer to the viewer's last click on the Home tab. */
  notice?: SlackMessage;
}

interface Group {
  title: string;
  jobs: HomeJob[];
}

function groupJobs(jobs: readonly HomeJob[], levels: readonly GroupingLevel[]): Group[] {
  const groups = new Map<string, Group>();
  for (const job of jobs) {
    const values = levels.map((level) => level.of(job));
    const key = JSON.stringify(values);
    let group = groups.get(key);
    if (!group) {
      const title = values
        .filter((v) => v !== '')
        .map((v) => userText(v, TEXT_CAPS.region))
        .join(' · ');
      group = { title, jobs: [] };
      groups.set(key, group);
    }
    group.jobs.push(job);
  }
  return [...groups.values()].sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;

function jobLine(job: HomeJob, viewerId: string): string {
  const operation = describeOperation(job.job.operation);
  const approvals = `${job.voterIds.length} of ${plural(Math.max(1, job.requiredApprovals), 'approval')}`;
  const voters = job.voterIds.length > 0 ? `: ${mentionUsers(job.voterIds, 5)}` : '';
  const lines = [
    `${operation.destructive ? '⚠️ ' : ''}${code(job.jobId, TEXT_CAPS.jobId)} · ${operation.summary}`,
    `${tasksText(job.job.progress)} · waiting since ${slackTime(new Date(job.firstSeenAt).toISOString())} · ${approvals}${voters}`,
  ];
  if (job.voterIds.includes(viewerId)) lines.push('You approved it; another approver is needed.');
  if (job.card && CHANNEL_ID.test(job.card.channel)) lines.push(`Card in <#${job.card.channel}>`);
  return lines.join('\n');
}

function jobBlocks(job: HomeJob, input: HomeInput): KnownBlock[] {
  const blocks: KnownBlock[] = [section(jobLine(job, input.viewerId))];
  if (!(job.mayAct ?? input.mayAct)) return blocks;
  const operation = describeOperation(job.job.operation);
  const ref = { account: job.account, region: job.region, jobId: job.jobId };
  const buttons = decisionButtons(ref, operation.plainSummary, operation.destructive);
  // Someone who voted already is refused a second vote: only Cancel is left to them.
  const shown = job.voterIds.includes(input.viewerId) ? buttons.slice(1) : buttons;
  blocks.push(actions(`home:${jobRefKey(ref)}`, shown));
  return blocks;
}

function decisionLine(entry: AuditEntry): string {
  const what = entry.action === 'approved' ? '✅ Approved' : '🛑 Cancelled';
  const who = mentionUser(entry.actor.id);
  const reason = entry.reason?.trim() ? ` · ${userText(entry.reason.trim(), DECISION_REASON_CHARS)}` : '';
  return `${what} ${code(entry.jobId, TEXT_CAPS.jobId)} (${userText(accountRegionLabel(entry), TEXT_CAPS.region)}) by ${who} · ${slackTime(entry.time)}${reason}`;
}

function regionLine(line: RegionPollLine): string {
  const region = `*${userText(accountRegionLabel(line), TEXT_CAPS.region)}*`;
  switch (line.kind) {
    case 'ok':
      return `🟢 ${region}: polled ${slackTime(new Date(line.lastOkAt).toISOString())}`;
    case 'failing':
      return `🔴 ${region}: ${plural(line.failures, 'failed poll')} in a row: ${userText(line.reason, TEXT_CAPS.refusalWhy)}`;
    case 'stale':
      return `🟠 ${region}: no poll since ${slackTime(new Date(line.lastOkAt).toISOString())} (is a replica leading?)`;
    case 'never':
      return `⚪ ${region}: no successful poll yet`;
  }
}

/** The lines of a section, cut to the section limit at a line boundary. */
function linesSection(lines: readonly string[]): KnownBlock {
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > SLACK_LIMITS.sectionText) break;
    kept.push(line);
    length += line.length + 1;
  }
  return section(kept.join('\n') || ' ');
}

function tailBlocks(input: HomeInput): KnownBlock[] {
  const blocks: KnownBlock[] = [divider(), header('Last decisions')];
  if (!input.decisions.ok) blocks.push(section('_The audit trail could not be read just now._'));
  else if (input.decisions.value.entries.length === 0) blocks.push(section('_No decisions yet._'));
  else {
    const lines = input.decisions.value.entries.map(decisionLine);
    if (input.decisions.value.capped) lines.push('_Only the newest audit entries were read._');
    blocks.push(linesSection(lines));
  }
  blocks.push(divider(), header('COS polling'));
  if (!input.regions.ok) blocks.push(section('_Poll health could not be read just now._'));
  else blocks.push(linesSection(input.regions.value.map(regionLine)));
  return blocks;
}

export function homeView(input: HomeInput): { type: 'home'; blocks: KnownBlock[] } {
  const top: KnownBlock[] = [header('cosjob: COS batch jobs')];
  top.push(
    context([
      `For ${mentionUser(input.viewerId)} · updated ${slackTime(input.now)} · ${
        input.mayAct ? 'you may approve and cancel' : 'buttons are shown to approvers only'
      }`,
    ]),
  );
  if (input.notice) top.push(...input.notice.blocks.slice(0, NOTICE_BLOCKS));
  const tail = tailBlocks(input);

  const body: KnownBlock[] = [];
  if (!input.waiting.ok) {
    body.push(header('Waiting for approval'));
    body.push(section('_The waiting jobs could not be read just now. Type `/cosjob list` to ask COS._'));
    return { type: 'home', blocks: [...top, ...body, ...tail] };
  }
  const { jobs, unread, unreadable } = input.waiting.value;
  body.push(header(`Waiting for approval (${jobs.length}${unread > 0 ? '+' : ''})`));
  if (jobs.length === 0) body.push(section('_Nothing is waiting for approval._'));

  // One block is kept for the line that counts what did not fit.
  let budget = HOME_BLOCK_LIMIT - top.length - body.length - tail.length - 1;
  const hidden: { title: string; count: number }[] = [];
  for (const group of groupJobs(jobs, HOME_GROUPING)) {
    let shown = 0;
    for (const job of group.jobs) {
      const blocks = jobBlocks(job, input);
      const cost = blocks.length + (shown === 0 ? 1 : 0);
      if (cost > budget) break;
      if (shown === 0) body.push(section(`*${group.title}* · ${plural(group.jobs.length, 'job')} waiting`));
      body.push(...blocks);
      budget -= cost;
      shown += 1;
    }
    if (shown < group.jobs.length) hidden.push({ title: group.title, count: group.jobs.length - shown });
  }
  const notes: string[] = [];
  if (hidden.length > 0) {
    const total = hidden.reduce((sum, h) => sum + h.count, 0);
    notes.push(
      `…and ${plural(total, 'more waiting job')} not shown here (${hidden
        .map((h) => `${h.title}: ${h.count}`)
        .join(', ')}). Type \`/cosjob list\` to see every waiting job with its buttons.`,
    );
  }
  if (unread > 0) {
    notes.push(
      `cosjob follows more jobs than the Home tab reads at once (${plural(unread, 'job')} not read). Type \`/cosjob list\` to see them all.`,
    );
  }
  if (unreadable > 0)
    notes.push(`${plural(unreadable, 'job record')} could not be read; run \`cosjob doctor\`.`);
  if (notes.length > 0) body.push(context([notes.join('\n')]));
  return { type: 'home', blocks: [...top, ...body, ...tail] };
}
