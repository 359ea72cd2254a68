/** What a person is told after a decision: text from COS is escaped, whatever the outcome. */
import { describe, expect, it } from 'vitest';
import { outcomeMessage } from '../../src/slack/decisions.js';
import { textOf } from './e2e/harness.js';

const HOSTILE = '<!channel> <https://evil.example|Re-approve here>';
const request = { action: 'approve' as const, jobId: 'job-1', account: 'default', region: 'ap-guangzhou' };

function expectInert(text: string): void {
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<https://evil.example');
  expect(text).toContain('&lt;!channel&gt;');
}

describe('outcomeMessage', () => {
  it('escapes a hostile COS status in an approval notice (text and blocks)', () => {
    const message = outcomeMessage(request, {
      account: 'default',
      kind: 'approved',
      region: 'ap-guangzhou',
      jobId: 'job-1',
      cosStatus: HOSTILE,
      approverIds: ['UALICE'],
      auditRecorded: false,
    });
    expectInert(textOf(message));
    expect(textOf(message)).toContain('written by the reconciler');
  });

  it('escapes a hostile COS status in a cancellation notice', () => {
    const message = outcomeMessage(
      { ...request, action: 'cancel' },
      {
        account: 'default',
        kind: 'cancelled',
        region: 'ap-guangzhou',
        jobId: 'job-1',
        cosStatus: HOSTILE,
        approverIds: [],
        auditRecorded: true,
      },
    );
    expectInert(textOf(message));
  });

  it('escapes a hostile COS error message, code and request id in a failure', () => {
    const message = outcomeMessage(request, {
      kind: 'failed',
      code: 'cos_error',
      cosCall: 'UpdateJobStatus',
      cos: { code: HOSTILE, requestId: HOSTILE, message: HOSTILE },
    });
    expectInert(textOf(message));
  });
});
