import { ManualClock } from '../../src/clock.js';
import { CosJobsClient } from '../../src/cos/client.js';
import { silentLogger } from '../../src/logger.js';
import type { CreateJobInput } from '../../tools/cos/create-job-xml.js';
import { type EmulatorAccount, type RunningEmulator, startEmulator } from '../../tools/emulator/server.js';

export const TEST_ACCOUNT = {
  uin: '100000000001',
  appId: '1250000000',
  secretId: 'AKIDtestcosjob000000000000000000000',
  secretKey: 'cosjob-test-secret-key-0000000000',
};

export const REGIONS = ['ap-guangzhou', 'ap-shanghai'] as const;

export interface CosFixture {
  emulator: RunningEmulator;
  clock: ManualClock;
  clients: Map<string, CosJobsClient>;
  createSuspendedJob(region?: string, overrides?: Partial<CreateJobInput>): string;
  close(): Promise<void>;
}

let counter = 0;

export function copyJobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  counter += 1;
  return {
    clientRequestToken: `token-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`,
    confirmationRequired: true,
    description: `copy job ${counter}`,
    priority: 10,
    roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
    manifest: {
      objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:source-1250000000/manifests/list.csv',
      etag: '"60e1c4ec8f4b3c1f1a2f3b6b6a1b2c3d"',
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: 'qcs::cos:ap-guangzhou:uid/1250000000:target-1250000000',
    },
    report: {
      bucket: 'qcs::cos:ap-guangzhou:uid/1250000000:reports-1250000000',
      enabled: true,
      reportScope: 'AllTasks',
    },
    ...overrides,
  };
}

export async function startCosFixture(
  options: {
    regions?: readonly string[];
    deadlineMs?: number;
    /** More accounts the emulator serves beside TEST_ACCOUNT, each with its own key (issue 11). */
    extraAccounts?: readonly EmulatorAccount[];
  } = {},
): Promise<CosFixture> {
  const clock = new ManualClock(Date.now());
  const emulator = await startEmulator({ accounts: [TEST_ACCOUNT, ...(options.extraAccounts ?? [])], clock });
  const clients = new Map<string, CosJobsClient>();
  for (const region of options.regions ?? REGIONS) {
    clients.set(
      region,
      new CosJobsClient({
        region,
        appId: TEST_ACCOUNT.appId,
        uin: TEST_ACCOUNT.uin,
        credentials: { secretId: TEST_ACCOUNT.secretId, secretKey: TEST_ACCOUNT.secretKey },
        endpoint: emulator.url,
        clock,
        logger: silentLogger,
        timeouts: { deadlineMs: options.deadlineMs ?? 3_000 },
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
      }),
    );
  }
  return {
    emulator,
    clock,
    clients,
    createSuspendedJob(region = REGIONS[0], overrides = {}) {
      return emulator.store.createJob(region, copyJobInput(overrides), {
        status: 'Suspended',
        totalTasks: 1200,
      }).id;
    },
    async close() {
      await Promise.all([...clients.values()].map((client) => client.close()));
      await emulator.close();
    },
  };
}
