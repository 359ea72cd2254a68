/** The burst digest message: 20 rows within Slack's block limit, each pending row with the card's buttons. */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/cos/model.js';
import { burstDigest, type DigestRow, MAX_DIGEST_ROWS } from '../../src/slack/blocks/digest.js';
import { blockKitProblems } from '../helpers/fake-slack.js';
import { suspendedJob } from '../helpers/jobs.js';
import { approveValues } from '../helpers/slack-messages.js';

function job(index: number): Job {
  return suspendedJob({
    id: `job-digest-${index}`,
    operation: { kind: 'COSDeleteObject', rawKind: 'COSDeleteObject', parameters: {}, destructive: true },
  });
}

function rows(count: number): DigestRow[] {
  return Array.from({ length: count }, (_, i) => ({
    account: 'default',
    region: 'ap-guangzhou',
    job: job(i),
    phase: { kind: 'pending' },
    approvals: { required: 2, voterIds: i === 0 ? ['UALICE'] : [] },
  }));
}

describe('burst digest', () => {
  it('holds 20 rows as valid Block Kit, each with Approve and Cancel carrying the job reference', () => {
    const message = burstDigest({ rows: rows(MAX_DIGEST_ROWS) });
    expect(blockKitProblems(message.blocks, 'message')).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(approveValues(message)).toEqual(rows(20).map((r) => `ap-guangzhou|${r.job.id}`));
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('1 of 2 approvals: <@UALICE>');
    expect(text).toContain('destructive');
  });

  it('shows a decided row with its outcome and no buttons', () => {
    const decided = rows(3);
    decided[1] = {
      ...decided[1]!,
      phase: { kind: 'cancelled', byUserId: 'system', at: '2026-01-01T09:00:00.000Z' },
    };
    const message = burstDigest({ rows: decided });
    expect(approveValues(message)).toEqual(['ap-guangzhou|job-digest-0', 'ap-guangzhou|job-digest-2']);
    expect(JSON.stringify(message.blocks)).toContain('*Cancelled* automatically by cosjob');
    expect(message.text).toContain('3 new COS batch jobs to review; 2 waiting.');
  });
});
