/**
 * The facts about a job that rules match on, taken from what DescribeJob returns: the operation, its
 * target bucket (copy's `TargetResource`), the manifest's bucket, the total task count and whether it is
 * destructive.
 *
 * "Destructive" means the job deletes objects: COSDeleteObject, or an operation COS added later whose
 * element name says it deletes (the COS model flags those, so an unknown delete is never taken as safe).
 * A copy may overwrite objects in its target, but that is what `operation: [copy]` and `bucket` are for.
 */
import type { Job, OperationKind } from '../cos/model.js';
import type { RuleOperation } from './types.js';

export interface JobFacts {
  jobId: string;
  account: string;
  region: string;
  /** undefined for an operation cosjob does not know: it matches no `operation` key. */
  operation: RuleOperation | undefined;
  /** The element name as COS sent it, for explanations. */
  rawOperation: string;
  /** The target bucket, when the operation names one. */
  targetBucket?: string;
  /** The bucket the manifest object lives in. */
  manifestBucket?: string;
  totalTasks: number;
  destructive: boolean;
}

const OPERATIONS: Readonly<Record<OperationKind, RuleOperation | undefined>> = {
  COSPutObjectCopy: 'copy',
  COSInitiateRestoreObject: 'restore',
  COSPutObjectTagging: 'tagging',
  COSDeleteObject: 'delete',
  unknown: undefined,
};

// COS resource names: `qcs::cos:<region>:uid/<appid>:<bucket>` for a bucket, with `/<key>` after it for an
// object (the manifest). Bucket names are `<name>-<appid>`, lowercase letters, digits and hyphens.
const RESOURCE_NAME = /^qcs::cos:[a-z0-9-]+:uid\/\d+:([^/:\s]+)(?:\/.*)?$/s;

/** The bucket a COS resource name (bucket or object) is in; undefined for another shape. */
export function bucketOfResourceName(resource: string | undefined): string | undefined {
  if (resource === undefined) return undefined;
  return RESOURCE_NAME.exec(resource.trim())?.[1];
}

export function jobFacts(job: Job, where: { account: string; region: string }): JobFacts {
  const targetBucket = bucketOfResourceName(job.operation.parameters.TargetResource);
  const manifestBucket = bucketOfResourceName(job.manifest?.location.objectArn);
  return {
    jobId: job.id,
    account: where.account,
    region: where.region,
    operation: OPERATIONS[job.operation.kind],
    rawOperation: job.operation.rawKind || job.operation.kind,
    ...(targetBucket === undefined ? {} : { targetBucket }),
    ...(manifestBucket === undefined ? {} : { manifestBucket }),
    totalTasks: job.progress.totalTasks,
    destructive: job.operation.kind === 'COSDeleteObject' || job.operation.destructive,
  };
}
