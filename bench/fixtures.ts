/** Realistic inputs shared by the suites: an account, job requests, COS XML bodies, audit entries. */
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { AuditAction, AuditEntry } from '../src/audit/types.js';
import { CosJobsClient } from '../src/cos/client.js';
import type { JobFailure } from '../src/cos/model.js';
import { silentLogger } from '../src/logger.js';
import type { CreateJobInput } from '../tools/cos/create-job-xml.js';
import { renderDescribeJob, renderListJobs } from '../tools/emulator/render.js';
import { DEFAULT_LIFECYCLE, JobStore } from '../tools/emulator/server.js';

/** A made-up account: the emulator accepts it, real COS never sees it. */
export const BENCH_ACCOUNT = {
  uin: '100000000001',
  appId: '1250000000',
  secretId: 'AKIDbenchcosjob00000000000000000000',
  secretKey: 'cosjob-bench-secret-key-000000000',
};

export const BENCH_REGION = 'ap-guangzhou';

/** The COS client for BENCH_ACCOUNT in BENCH_REGION against the emulator at `endpoint`, on `dispatcher`. */
export function benchCosClient(endpoint: string, dispatcher: Dispatcher): CosJobsClient {
  return new CosJobsClient({
    region: BENCH_REGION,
    appId: BENCH_ACCOUNT.appId,
    uin: BENCH_ACCOUNT.uin,
    credentials: { secretId: BENCH_ACCOUNT.secretId, secretKey: BENCH_ACCOUNT.secretKey },
    endpoint,
    dispatcher,
    logger: silentLogger,
  });
}

let jobCounter = 0;

/** A copy job as a team would create it: manifest, report, a description with characters XML escapes. */
export function benchJobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  jobCounter += 1;
  return {
    clientRequestToken: `bench-${process.pid}-${jobCounter}-${randomBytes(4).toString('hex')}`,
    confirmationRequired: true,
    description: `Nightly copy #${jobCounter} of photos/2026 → archive & "cold" tier <IA>`,
    priority: 10,
    roleArn: `qcs::cam::uin/${BENCH_ACCOUNT.uin}:roleName/COS_Batch_QcsRole`,
    manifest: {
      objectArn: `qcs::cos:${BENCH_REGION}:uid/${BENCH_ACCOUNT.appId}:source-${BENCH_ACCOUNT.appId}/manifests/photos-2026.csv`,
      etag: '"60e1c4ec8f4b3c1f1a2f3b6b6a1b2c3d"',
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key', 'VersionId'],
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: `qcs::cos:${BENCH_REGION}:uid/${BENCH_ACCOUNT.appId}:archive-${BENCH_ACCOUNT.appId}`,
    },
    report: {
      bucket: `qcs::cos:${BENCH_REGION}:uid/${BENCH_ACCOUNT.appId}:reports-${BENCH_ACCOUNT.appId}`,
      enabled: true,
      reportScope: 'AllTasks',
      prefix: 'batch-reports/',
    },
    ...overrides,
  };
}

const FAILURES: JobFailure[] = [
  {
    code: 'FailureRateExceeded',
    reason: 'More than 50% of the tasks failed after more than 1,000 tasks ran.',
  },
  {
    code: 'AccessDenied',
    reason: 'The role cannot read s3://source/photos/2026/02/IMG_0042.jpg & 611 others.',
  },
  { code: 'NoSuchKey', reason: 'The manifest lists objects that do not exist: photos/2026/<deleted>/…' },
];

export interface XmlBodies {
  /** DescribeJob of a failed job with three failure reasons. */
  describeJob: string;
  /** DescribeJob of a Suspended job (what a card shows). */
  describeSuspendedJob: string;
  /** One ListJobs page with `members` members. */
  listJobs: string;
  members: number;
}

/** Bodies rendered by the emulator's own renderers, so they match what the client parses over HTTP. */
export function xmlBodies(members: number): XmlBodies {
  const store = new JobStore({
    now: () => Date.now(),
    lifecycle: { ...DEFAULT_LIFECYCLE },
    defaultUin: BENCH_ACCOUNT.uin,
  });
  const failed = store.createJob(BENCH_REGION, benchJobInput(), {
    status: 'Failed',
    totalTasks: 25_000,
    succeededTasks: 9_000,
    failedTasks: 11_000,
    failureReasons: FAILURES,
    statusUpdateReason: 'approved by Alice (UALICE) via Slack: copy before the migration',
  });
  const suspended = store.createJob(BENCH_REGION, benchJobInput(), {
    status: 'Suspended',
    totalTasks: 25_000,
  });
  for (let i = 2; i < members; i++) {
    store.createJob(BENCH_REGION, benchJobInput(), {
      status: i % 3 === 0 ? 'Complete' : 'Suspended',
      totalTasks: 1200,
    });
  }
  const record = (id: string) => {
    const found = store.record(BENCH_REGION, id);
    if (found === undefined) throw new Error(`the bench job store lost job ${id}`);
    return found;
  };
  const page = store.page(BENCH_ACCOUNT.uin, BENCH_REGION, { maxResults: members });
  if (page === undefined || page.jobs.length !== members) {
    throw new Error(`the bench job store listed ${page?.jobs.length ?? 0} jobs, expected ${members}`);
  }
  return {
    describeJob: renderDescribeJob(record(failed.id)),
    describeSuspendedJob: renderDescribeJob(record(suspended.id)),
    listJobs: renderListJobs(page),
    members,
  };
}

const TRAIL_ACTIONS: AuditAction[] = [
  'posted',
  'approve_vote',
  'approve_requested',
  'approved',
  'status_changed',
  'reminded',
];

/** `count` entries of one job's trail, shaped as the store returns them (hashes are placeholders). */
export function auditEntries(count: number, jobId: string): AuditEntry[] {
  const start = Date.UTC(2026, 0, 1, 9);
  const hex = (n: number) => n.toString(16).padStart(64, '0');
  return Array.from({ length: count }, (_, i) => {
    const action = TRAIL_ACTIONS[i % TRAIL_ACTIONS.length] as AuditAction;
    const human = action === 'approve_vote' || action === 'approve_requested' || action === 'approved';
    return {
      entryId: `entry-${i}`,
      actor: human ? { id: `U0${(i % 7) + 1}ALICE`, name: 'alice' } : { id: 'system', name: 'cosjob' },
      action,
      account: 'default',
      region: BENCH_REGION,
      jobId,
      ...(human ? { reason: `looks right, checked manifest batch ${i}` } : {}),
      outcome: action === 'approved' ? 'applied' : 'ok',
      ...(action === 'approved' ? { cosStatus: 'Ready', cosRequestId: `NjVmM2Rk_${i}` } : {}),
      source: human ? 'slack-button' : 'watcher',
      time: new Date(start + i * 60_000).toISOString(),
      seq: i + 1,
      jobSeq: i + 1,
      prevHash: hex(i),
      jobPrevHash: hex(i),
      hash: hex(i + 1),
      streamId: `${start + i * 60_000}-0`,
    };
  });
}
