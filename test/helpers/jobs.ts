/** A Suspended COS job as cosjob's model holds it, for builder tests; override what a test is about. */
import type { Job } from '../../src/cos/model.js';

export function suspendedJob(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job-under-test-1',
    status: 'Suspended',
    priority: 10,
    description: 'copy',
    creationTime: '2026-01-01T08:00:00Z',
    confirmationRequired: true,
    operation: { kind: 'COSPutObjectCopy', rawKind: 'COSPutObjectCopy', parameters: {}, destructive: false },
    progress: { totalTasks: 10, succeededTasks: 0, failedTasks: 0 },
    failureReasons: [],
    ...overrides,
  };
}
