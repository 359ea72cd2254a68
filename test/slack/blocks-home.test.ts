/**
 * The Home tab builder on its own: hostile text from COS, Redis and people shown escaped, and the Home
 * limits (100 blocks, Block Kit's element limits, 250 kB) kept with any number of jobs and any text length.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/types.js';
import type { Job } from '../../src/cos/model.js';
import { type HomeInput, type HomeJob, homeView } from '../../src/slack/blocks/home.js';
import { refusalMessage } from '../../src/slack/blocks/index.js';
import { homeViewProblems } from '../../tools/fakes/slack/methods/home.js';
import { blockKitProblems } from '../helpers/fake-slack.js';

const HOSTILE =
  '<!channel> <!here> <https://evil.example|Re-approve here> <@U0EVIL> <#C0EVIL> <!subteam^S0EVIL> ' +
  '\u202eevil\u202c \u0000\r\n *bold* `tick` ' +
  '&<>'.repeat(2000);
const TIME = '2026-01-01T08:00:00Z';

function job(id: string, text = 'dst'): Job {
  return {
    id,
    status: 'Suspended',
    priority: 10,
    description: text,
    creationTime: TIME,
    confirmationRequired: true,
    operation: {
      kind: 'COSPutObjectCopy',
      rawKind: 'COSPutObjectCopy',
      parameters: { TargetResource: `qcs::cos:ap-beijing:uid/1250000000:${text}` },
      destructive: false,
    },
    manifest: {
      location: { objectArn: `qcs::cos:ap-guangzhou:uid/1250000000:${text}/m.csv`, etag: '"e"' },
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    progress: { totalTasks: 1000, succeededTasks: 0, failedTasks: 0 },
    failureReasons: [],
  } as Job;
}

function homeJob(i: number, region: string, text?: string): HomeJob {
  const id = `job-${String(i).padStart(4, '0')}`;
  return {
    account: 'default',
    region,
    jobId: id,
    job: job(id, text),
    firstSeenAt: Date.parse(TIME) + i,
    voterIds: ['U0ALICE'],
    requiredApprovals: 2,
    card: { channel: 'C0CARDS' },
  };
}

function decision(i: number, reason: string): AuditEntry {
  return {
    account: 'default',
    entryId: `e${i}`,
    actor: { id: i % 2 === 0 ? 'U0ALICE' : '<!channel>', name: HOSTILE },
    action: i % 3 === 0 ? 'cancelled' : 'approved',
    region: 'ap-guangzhou',
    jobId: `job-${i}`,
    reason,
    time: TIME,
    seq: i,
    jobSeq: 1,
    prevHash: '0',
    jobPrevHash: '0',
    hash: '1',
    streamId: `${i}-0`,
  };
}

function input(jobs: HomeJob[], overrides: Partial<HomeInput> = {}): HomeInput {
  return {
    viewerId: 'U0BOB',
    mayAct: true,
    waiting: { ok: true, value: { jobs, unread: 0, unreadable: 0 } },
    decisions: { ok: true, value: { entries: [1, 2, 3].map((i) => decision(i, HOSTILE)), capped: false } },
    regions: {
      ok: true,
      value: [
        { account: 'default', region: 'ap-guangzhou', kind: 'failing', reason: HOSTILE, failures: 3 },
        { account: 'default', region: 'ap-shanghai', kind: 'ok', lastOkAt: Date.parse(TIME) },
      ],
    },
    now: TIME,
    ...overrides,
  };
}

/** Every text string in the view. */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) texts(item, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

describe('homeView', () => {
  it('shows hostile text from COS, Redis and people escaped, and renders no mention it was not given', () => {
    const view = homeView(
      input([homeJob(1, 'ap-guangzhou', HOSTILE)], {
        notice: refusalMessage({ what: HOSTILE, why: HOSTILE, whatToDo: HOSTILE }),
      }),
    );
    expect(homeViewProblems(view)).toEqual([]);
    const all = texts(view.blocks).join('\n');
    for (const token of [
      '<!channel>',
      '<!here>',
      '<https://evil',
      '<@U0EVIL>',
      '<#C0EVIL>',
      '<!subteam^S0EVIL>',
    ]) {
      expect(all).not.toContain(token);
    }
    expect(all.includes('\u0000') || all.includes('\u202e')).toBe(false);
    // The mentions it renders are the validated ids it was handed.
    const mentions = all.match(/<[@#!][^>]*>/g) ?? [];
    for (const mention of mentions)
      expect(mention).toMatch(/^<(@U0(ALICE|BOB)|#C0CARDS|!date\^\d+\^[^>]+)>$/);
  });

  it('keeps within 100 blocks and 250 kB for any number of jobs, counting what did not fit by group', () => {
    const jobs = Array.from({ length: 300 }, (_, i) =>
      homeJob(i, i % 2 === 0 ? 'ap-guangzhou' : 'ap-shanghai', 'x'.repeat(2000)),
    );
    for (const mayAct of [true, false]) {
      const view = homeView(input(jobs, { mayAct }));
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      expect(blockKitProblems(view.blocks, 'home')).toEqual([]);
      expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThan(250 * 1024);
      const all = texts(view.blocks).join('\n');
      const shown = jobs.filter((j) => all.includes(`\`${j.jobId}\``)).length;
      const counted =
        /…and (\d+) more waiting jobs not shown here \(ap-guangzhou: (\d+), ap-shanghai: (\d+)\)/.exec(all);
      expect(counted).not.toBeNull();
      expect(shown + Number(counted?.[1])).toBe(300);
      expect(Number(counted?.[2]) + Number(counted?.[3])).toBe(Number(counted?.[1]));
      expect(all).toContain('`/cosjob list`');
    }
  });

  it('offers a person who voted only Cancel, and says so', () => {
    const view = homeView(input([homeJob(1, 'ap-guangzhou')], { viewerId: 'U0ALICE' }));
    const buttons = view.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(buttons.map((b) => ('action_id' in b ? b.action_id : ''))).toEqual(['cosjob_cancel']);
    expect(texts(view.blocks).join('\n')).toContain('You approved it; another approver is needed.');
  });

  it('shows a part it could not read as such and renders the rest', () => {
    const view = homeView(
      input([], { waiting: { ok: false }, decisions: { ok: false }, regions: { ok: false } }),
    );
    const all = texts(view.blocks).join('\n');
    expect(all).toContain('The waiting jobs could not be read just now');
    expect(all).toContain('The audit trail could not be read just now');
    expect(all).toContain('Poll health could not be read just now');
    expect(homeViewProblems(view)).toEqual([]);
  });
});
