import { describe, expect, it } from 'vitest';
import { OPTIONAL_LIMITS, prepareEntry } from '../../src/audit/codec.js';
import type { AuditEntryInput } from '../../src/audit/types.js';
import {
  checkedJob,
  checkedJobSummary,
  checkedListJobsPage,
  checkedUpdateJobStatusResult,
  errorReferenceProblems,
  jobProblems,
  jobSummaryProblems,
  quoteAnswerValue,
  unusableAnswerError,
  updateJobStatusResultProblems,
} from '../../src/cos/answer-checks.js';
import { CosError } from '../../src/cos/errors.js';
import { JOB_STATUSES, type Job, type JobSummary, type UpdateJobStatusResult } from '../../src/cos/model.js';
import { MAX_PRIORITY } from '../../src/cos/validation.js';
import { suspendedJob } from '../helpers/jobs.js';

const JOB_ID = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';
const HOSTILE_STATUS = '<!channel> <https://evil.example|Re-approve here>';

function job(overrides: Partial<Job> = {}): Job {
  return suspendedJob({
    id: JOB_ID,
    description: 'Nightly copy',
    operation: { kind: 'COSDeleteObject', rawKind: 'COSDeleteObject', parameters: {}, destructive: true },
    statusUpdateReason: 'awaiting confirmation',
    ...overrides,
  });
}

function summary(overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    id: 'job-1',
    status: 'Suspended',
    priority: 1,
    description: '',
    operation: 'COSPutObjectCopy',
    progress: { totalTasks: 1, succeededTasks: 0, failedTasks: 0 },
    ...overrides,
  };
}

function updateResult(overrides: Partial<UpdateJobStatusResult> = {}): UpdateJobStatusResult {
  return { jobId: JOB_ID, status: 'Ready', requestId: 'NjVmYzA2MmNfNjE', ...overrides };
}

/** Text safe in Slack mrkdwn, logs and the audit: none of Slack's control characters, no raw controls. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/[<>&]/);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
}

describe('COS answer checks: status', () => {
  it.each(JOB_STATUSES)('accepts the documented status %s', (status) => {
    expect(jobProblems(job({ status }))).toEqual([]);
    expect(jobSummaryProblems(summary({ status }))).toEqual([]);
    expect(updateJobStatusResultProblems(updateResult({ status }))).toEqual([]);
  });

  it('names an unknown status and lists the documented ones', () => {
    expect(jobProblems(job({ status: 'Archiving' }))).toEqual([
      `Status "Archiving" is not a COS job status (COS documents ${JOB_STATUSES.join(', ')})`,
    ]);
  });

  it('quotes a hostile status escaped, so the error cannot ping or link anyone wherever it is shown', () => {
    const [problem] = jobProblems(job({ status: HOSTILE_STATUS }));
    expect(problem).toContain(
      '"\\u003c!channel\\u003e \\u003chttps://evil.example|Re-appr"… (49 characters)',
    );
    expectInert(problem as string);
  });

  it('caps a 100-character status in the error and says it is longer than the audit records', () => {
    const status = `Ready${'x'.repeat(95)}`;
    const [problem] = jobProblems(job({ status }));
    expect(problem).toContain(`"Ready${'x'.repeat(35)}"… (100 characters)`);
    expect(problem).toContain(`longer than the ${OPTIONAL_LIMITS.cosStatus} the audit trail records`);
    expect(problem).not.toContain('x'.repeat(36));
  });

  it('shows control characters in a status instead of passing them on', () => {
    const [problem] = jobProblems(job({ status: 'Suspended\u0000\r\n\u001b[2J' }));
    expect(problem).toContain('"Suspended\\u0000\\r\\n\\u001b[2J"');
    expectInert(problem as string);
  });

  it('refuses a status that is not text', () => {
    expect(jobProblems(job({ status: 5 as unknown as string }))[0]).toMatch(
      /^Status 5 is not a COS job status/,
    );
    expect(jobProblems(job({ status: undefined as unknown as string }))[0]).toMatch(/^Status nothing is not/);
  });
});

describe('COS answer checks: ids, numbers and audited text', () => {
  it('refuses a JobId COS would not issue, and a JobId other than the one asked about', () => {
    for (const id of ['', '../etc', 'a/b', 'x'.repeat(65), 'job id', '-starts-with-dash']) {
      expect(jobProblems(job({ id }))[0], id).toMatch(/^JobId .* is not a COS JobId \(1 to 64 bytes/);
    }
    expect(jobProblems(job(), 'other-job')).toEqual([
      `JobId "${JOB_ID}" is not the job that was asked about ("other-job")`,
    ]);
    expect(jobProblems(job(), JOB_ID)).toEqual([]);
    expect(updateJobStatusResultProblems(updateResult(), 'other-job')[0]).toMatch(
      /not the job that was asked/,
    );
  });

  it('accepts priorities 0 to 2147483647 and refuses anything else', () => {
    for (const priority of [0, 1, MAX_PRIORITY]) expect(jobProblems(job({ priority }))).toEqual([]);
    for (const priority of [-1, 1.5, MAX_PRIORITY + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(jobProblems(job({ priority })), String(priority)).toEqual([
        `Priority ${priority} is not a whole number from 0 to ${MAX_PRIORITY}`,
      ]);
    }
  });

  it('refuses task counters that are not whole, non-negative, safe numbers, naming each', () => {
    const progress = { totalTasks: -1, succeededTasks: 0.5, failedTasks: 2 ** 53 };
    expect(jobSummaryProblems(summary({ progress }))).toEqual([
      'TotalNumberOfTasks -1 is not a whole number of tasks',
      'NumberOfTasksSucceeded 0.5 is not a whole number of tasks',
      'NumberOfTasksFailed 9007199254740992 is not a whole number of tasks',
    ]);
    expect(jobProblems(job({ progress: undefined as unknown as Job['progress'] }))).toEqual([
      'ProgressSummary is missing',
    ]);
    // More finished tasks than the total is not refused: COS does not promise the counters agree mid-run.
    expect(jobProblems(job({ progress: { totalTasks: 1, succeededTasks: 5, failedTasks: 0 } }))).toEqual([]);
  });

  it('refuses a StatusUpdateReason or request id the audit would refuse, and accepts what it records', () => {
    const longest = 'r'.repeat(OPTIONAL_LIMITS.reason);
    expect(jobProblems(job({ statusUpdateReason: `${longest}\t\n` }))).toEqual([
      `StatusUpdateReason is ${OPTIONAL_LIMITS.reason + 2} characters long; the audit trail records at most ${OPTIONAL_LIMITS.reason}`,
    ]);
    expect(jobProblems(job({ statusUpdateReason: longest }))).toEqual([]);
    expect(jobProblems(job({ statusUpdateReason: 'line one\nline two\ttabbed' }))).toEqual([]);
    expect(jobProblems(job({ statusUpdateReason: 'bell\u0007' }))).toEqual([
      'StatusUpdateReason "bell\\u0007" contains control characters',
    ]);
    expect(
      updateJobStatusResultProblems(
        updateResult({ requestId: 'q'.repeat(OPTIONAL_LIMITS.cosRequestId + 1) }),
      ),
    ).toEqual([
      `The request id is ${OPTIONAL_LIMITS.cosRequestId + 1} characters long; the audit trail records at most ${OPTIONAL_LIMITS.cosRequestId}`,
    ]);
    expect(
      errorReferenceProblems({ code: 'C'.repeat(OPTIONAL_LIMITS.cosErrorCode + 1), requestId: 'ok' }),
    ).toEqual([
      `The error code is ${OPTIONAL_LIMITS.cosErrorCode + 1} characters long; the audit trail records at most ${OPTIONAL_LIMITS.cosErrorCode}`,
    ]);
    expect(errorReferenceProblems({ code: 'NoSuchJob', requestId: 'NjVmYzA2MmNfNjE' })).toEqual([]);
    expect(errorReferenceProblems({})).toEqual([]);
  });

  it('lists every problem of an answer at once', () => {
    expect(jobProblems(job({ id: 'a/b', status: 'Nope', priority: -5 }))).toHaveLength(3);
  });
});

describe('COS answer checks agree with the audit codec', () => {
  const base: AuditEntryInput = {
    account: 'default',
    actor: { id: 'system', name: 'cosjob' },
    action: 'status_changed',
    region: 'ap-guangzhou',
    jobId: JOB_ID,
  };
  const statuses = [...JOB_STATUSES, 'Archiving', `Ready${'x'.repeat(95)}`, HOSTILE_STATUS, 'Ready\u0000'];
  const reasons = ['Job complete', 'a\tb\nc', 'r'.repeat(OPTIONAL_LIMITS.reason), 'r'.repeat(4001), 'cr\r'];
  const requestIds = [
    'NjVmYzA2MmNfNjE',
    'q'.repeat(OPTIONAL_LIMITS.cosRequestId),
    'q'.repeat(257),
    'nul\u0000',
  ];

  it('every answer that passes the checks is one the audit accepts as the record of it', () => {
    let accepted = 0;
    for (const status of statuses) {
      for (const statusUpdateReason of reasons) {
        for (const requestId of requestIds) {
          const result = updateResult({ status, statusUpdateReason, requestId });
          if (updateJobStatusResultProblems(result).length > 0) continue;
          accepted += 1;
          expect(() =>
            prepareEntry({ ...base, cosStatus: status, reason: statusUpdateReason, cosRequestId: requestId }),
          ).not.toThrow();
        }
      }
    }
    // 13 statuses × 3 acceptable reasons × 2 acceptable request ids.
    expect(accepted).toBe(JOB_STATUSES.length * 3 * 2);
  });

  it('every status, reason and request id the audit refuses is refused by the checks first', () => {
    for (const status of statuses) {
      const auditRefuses = (() => {
        try {
          prepareEntry({ ...base, cosStatus: status });
          return false;
        } catch {
          return true;
        }
      })();
      if (auditRefuses) expect(jobProblems(job({ status })), status).not.toEqual([]);
    }
    for (const reason of reasons) {
      let auditRefuses = false;
      try {
        prepareEntry({ ...base, reason });
      } catch {
        auditRefuses = true;
      }
      expect(jobProblems(job({ statusUpdateReason: reason })).length > 0, reason.slice(0, 20)).toBe(
        auditRefuses,
      );
    }
  });
});

describe('checked answers', () => {
  it('returns a usable answer unchanged', () => {
    const answer = job();
    expect(checkedJob(answer, { api: 'DescribeJob', expectedJobId: JOB_ID })).toBe(answer);
    const listed = summary();
    expect(checkedJobSummary(listed, { api: 'ListJobs' })).toBe(listed);
    const result = updateResult();
    expect(checkedUpdateJobStatusResult(result, { api: 'UpdateJobStatus', expectedJobId: JOB_ID })).toBe(
      result,
    );
  });

  it('throws an InvalidResponse CosError that names the API, the job and every problem, inert anywhere', () => {
    let caught: unknown;
    try {
      checkedJob(job({ status: HOSTILE_STATUS, priority: -1 }), {
        api: 'DescribeJob',
        expectedJobId: JOB_ID,
        httpStatus: 200,
        requestId: 'NjVmYzA2MmNfNjE',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CosError);
    const error = caught as CosError;
    expect(error.code).toBe('InvalidResponse');
    expect(error.api).toBe('DescribeJob');
    expect(error.requestId).toBe('NjVmYzA2MmNfNjE');
    expect(error.message).toMatch(
      new RegExp(
        `^The DescribeJob answer for job "${JOB_ID}" is not usable: Status .*; Priority -1 .*\\. cosjob did not act on it\\.$`,
      ),
    );
    expectInert(error.message);
    expectInert(error.explanation);
  });

  it('refuses an UpdateJobStatus answer with a 100-character status before anything records it', () => {
    expect(() =>
      checkedUpdateJobStatusResult(updateResult({ status: `Ready${'x'.repeat(95)}` }), {
        api: 'UpdateJobStatus',
        expectedJobId: JOB_ID,
      }),
    ).toThrow(/^The UpdateJobStatus answer for job .* is not usable: Status "Readyx+"… \(100 characters\)/);
  });

  it('builds the error without a job when the answer is not about one', () => {
    expect(unusableAnswerError({ api: 'ListJobs' }, ['x']).message).toBe(
      'The ListJobs answer is not usable: x. cosjob did not act on it.',
    );
  });
});

describe('checked ListJobs pages', () => {
  it('moves failing members to badMembers with their position, keeping the rest and the token', () => {
    // As the parser hands it over: member 1 ("b", a Priority that was not a number) is already set aside.
    const page = {
      jobs: [
        summary({ id: 'a' }),
        summary({ id: 'c', status: '<!here>' }),
        summary({ id: 'd', status: 'Active' }),
        summary({ id: 'e', status: 'x'.repeat(100) }),
      ],
      nextToken: 'e',
      badMembers: [{ index: 1, jobId: 'b', problem: 'The COS response has <Priority>"high"</Priority>' }],
    };
    const checked = checkedListJobsPage(page);
    expect(checked.jobs.map((j) => j.id)).toEqual(['a', 'd']);
    expect(checked.nextToken).toBe('e');
    expect(checked.badMembers?.map((bad) => [bad.index, bad.jobId])).toEqual([
      [1, 'b'],
      [2, 'c'],
      [4, 'e'],
    ]);
    const problem = checked.badMembers?.[1]?.problem ?? '';
    expect(problem).toMatch(/^Status "\\u003c!here\\u003e" is not a COS job status/);
    expectInert(problem);
  });

  it('does not name a member by a JobId that fails the checks', () => {
    const checked = checkedListJobsPage({ jobs: [summary({ id: '../x' })] });
    expect(checked.jobs).toEqual([]);
    expect(checked.badMembers).toEqual([
      { index: 0, problem: expect.stringMatching(/^JobId "\.\.\/x" is not a COS JobId/) },
    ]);
  });

  it('leaves a clean page as it was', () => {
    const page = { jobs: [summary()], nextToken: 'job-1' };
    expect(checkedListJobsPage(page)).toEqual(page);
    expect(checkedListJobsPage({ jobs: [] })).toEqual({ jobs: [] });
  });
});

describe('quoting answer values', () => {
  it('never splits a character and says how long a cut value was', () => {
    const value = `${'😀'.repeat(39)}ab`;
    expect(quoteAnswerValue(value)).toBe(`"${'😀'.repeat(39)}a"… (41 characters)`);
  });

  it('escapes bidirectional overrides and C1 controls, and describes non-text', () => {
    expect(quoteAnswerValue('a\u202eb\u0085')).toBe('"a\\u202eb\\u0085"');
    expect(quoteAnswerValue(undefined)).toBe('nothing');
    expect(quoteAnswerValue({})).toBe('an object');
    expect(quoteAnswerValue([])).toBe('a list');
    expect(quoteAnswerValue(Number.NaN)).toBe('NaN');
  });
});
