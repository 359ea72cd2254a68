/** 6. Slack Block Kit rendering: the job card and a 1,000-entry audit trail message. */
import type { VerifyResult } from '../../src/audit/types.js';
import { parseDescribeJob } from '../../src/cos/xml/describe-job.js';
import { type JobCardInput, jobCard } from '../../src/slack/blocks/job-card.js';
import { auditEntryLine, auditTrailMessage } from '../../src/slack/blocks/thread.js';
import { auditEntries, BENCH_REGION, xmlBodies } from '../fixtures.js';
import { measure } from '../harness.js';
import type { BenchParams } from '../params.js';
import { type BenchGroup, compare, formatRatio, row } from '../report.js';

export async function runBlocksBench(params: BenchParams): Promise<BenchGroup> {
  const job = parseDescribeJob(xmlBodies(2).describeSuspendedJob);
  const cardInput: JobCardInput = {
    account: 'default',
    region: BENCH_REGION,
    job,
    phase: { kind: 'pending' },
    approvals: { required: 2, voterIds: ['U01ALICE'] },
    postedAt: '2026-01-01T09:00:00Z',
  };
  const card = jobCard(cardInput);
  const entries = auditEntries(params.auditTrailEntries, job.id);
  const verified: VerifyResult = { ok: true, entries: entries.length, headHash: entries.at(-1)?.hash ?? '' };
  if (auditTrailMessage(entries, verified).blocks.length === 0)
    throw new Error('auditTrailMessage rendered nothing');

  let sink = 0;
  const render = row(
    'blocks.jobCard',
    'jobCard (pending, destructive=false)',
    await measure(
      'jobCard',
      () => {
        sink += jobCard(cardInput).blocks.length;
      },
      params.micro,
    ),
    { unit: 'cards/s' },
  );
  const serialise = row(
    'blocks.jobCard.json',
    'JSON.stringify of the same card',
    await measure(
      'jobCard JSON',
      () => {
        sink += JSON.stringify(card).length;
      },
      params.micro,
    ),
    { unit: 'cards/s' },
  );
  const trail = row(
    'blocks.auditTrailMessage',
    `auditTrailMessage, ${entries.length.toLocaleString('en-US')} entries`,
    await measure(
      'auditTrailMessage',
      () => {
        sink += auditTrailMessage(entries, verified).blocks.length;
      },
      params.micro,
    ),
    { unit: 'messages/s' },
  );
  const lines = row(
    'blocks.auditEntryLines',
    `auditEntryLine × ${entries.length.toLocaleString('en-US')} (lines only)`,
    await measure(
      'auditEntryLine x N',
      () => {
        for (const entry of entries) sink += auditEntryLine(entry).length;
      },
      params.micro,
    ),
    { unit: 'messages/s' },
  );
  if (sink === 0) throw new Error('the Block Kit benchmark produced nothing');
  compare(
    render,
    serialise,
    'rate',
    (r) =>
      `building a card costs ${formatRatio(1 / r)} serialising it for chat.postMessage, which is paid anyway.`,
  );
  compare(trail, lines, 'rate', (r) =>
    r >= 1
      ? `the message is built ${formatRatio(r)} as fast as formatting all ${entries.length} lines: it formats only ` +
        "the newest entries that fit Slack's 50-block and text limits and counts the older ones by action."
      : `the message costs ${formatRatio(1 / r)} formatting the ${entries.length} lines alone: the rest is fitting ` +
        "Slack's 50-block and text limits and summarising older entries.",
  );
  return {
    id: 'blocks',
    title: 'Slack Block Kit (src/slack/blocks)',
    rows: [render, serialise, trail, lines],
    notes: ['The audit trail message keeps the newest entries that fit and summarises the rest.'],
  };
}
