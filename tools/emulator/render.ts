import { isoSeconds, type ListPage, quotedEtag, type StoredJob } from './store.js';
import { leaf, node, renderDocument, type XmlNode } from './xml.js';

/** Success bodies, with the roots and element names COS documents (ListJobsResult, DescribeJobResult, …). */

function progressNode(record: StoredJob): XmlNode {
  return node('ProgressSummary', [
    leaf('NumberOfTasksFailed', record.failedTasks),
    leaf('NumberOfTasksSucceeded', record.succeededTasks),
    leaf('TotalNumberOfTasks', record.totalTasks),
  ]);
}

function optionalLeaf(name: string, value: string | undefined): XmlNode | undefined {
  return value === undefined ? undefined : leaf(name, value);
}

export function renderCreateJob(record: StoredJob): string {
  return renderDocument(node('CreateJobResult', [leaf('JobId', record.id)]));
}

export function renderDescribeJob(record: StoredJob): string {
  const input = record.input;
  const manifest = input.manifest;
  // COS sends one empty JobFailure when there is none (the documented sample); clients must skip it.
  const failures =
    record.failureReasons.length > 0
      ? record.failureReasons.map((f) =>
          node('JobFailure', [leaf('FailureCode', f.code), leaf('FailureReason', f.reason)]),
        )
      : [node('JobFailure', [leaf('FailureCode', ''), leaf('FailureReason', '')])];
  const fields = manifest.fields ?? [];
  const report = input.report;
  const job = node('Job', [
    leaf('ConfirmationRequired', input.confirmationRequired ? 'true' : 'false'),
    leaf('CreationTime', record.creationTime),
    leaf('Description', input.description ?? ''),
    node('FailureReasons', failures),
    leaf('JobId', record.id),
    node('Manifest', [
      node('Location', [
        leaf('ETag', quotedEtag(record.manifestEtag)),
        leaf('ObjectArn', manifest.objectArn),
      ]),
      node('Spec', [
        fields.length > 0
          ? node(
              'Fields',
              fields.map((f) => leaf('member', f)),
            )
          : undefined,
        leaf('Format', manifest.format ?? 'COSBatchOperations_CSV_V1'),
      ]),
    ]),
    node('Operation', [record.operationXml]),
    leaf('Priority', record.priority),
    progressNode(record),
    report
      ? node('Report', [
          leaf('Bucket', report.bucket),
          leaf('Enabled', report.enabled ? 'true' : 'false'),
          leaf('Format', 'Report_CSV_V1'),
          leaf('Prefix', report.prefix ?? ''),
          leaf('ReportScope', report.reportScope),
        ])
      : undefined,
    leaf('RoleArn', input.roleArn),
    leaf('Status', record.status),
    optionalLeaf('StatusUpdateReason', record.statusUpdateReason),
    optionalLeaf('SuspendedCause', record.suspendedCause),
    optionalLeaf(
      'SuspendedDate',
      record.suspendedAtMs === undefined ? undefined : isoSeconds(record.suspendedAtMs),
    ),
    optionalLeaf(
      'TerminationDate',
      record.terminatedAtMs === undefined ? undefined : isoSeconds(record.terminatedAtMs),
    ),
  ]);
  return renderDocument(node('DescribeJobResult', [job]));
}

export function renderListJobs(page: ListPage): string {
  const members = page.jobs.map((record) =>
    node('member', [
      leaf('CreationTime', record.creationTime),
      leaf('Description', record.input.description ?? ''),
      leaf('JobId', record.id),
      leaf('Operation', record.operationXml.name),
      leaf('Priority', record.priority),
      progressNode(record),
      leaf('Status', record.status),
      optionalLeaf(
        'TerminationDate',
        record.terminatedAtMs === undefined ? undefined : isoSeconds(record.terminatedAtMs),
      ),
    ]),
  );
  return renderDocument(node('ListJobsResult', [node('Jobs', members), leaf('NextToken', page.nextToken)]));
}

export function renderUpdateJobPriority(record: StoredJob): string {
  return renderDocument(
    node('UpdateJobPriorityResult', [leaf('JobId', record.id), leaf('Priority', record.priority)]),
  );
}

export function renderUpdateJobStatus(record: StoredJob): string {
  return renderDocument(
    node('UpdateJobStatusResult', [
      leaf('JobId', record.id),
      leaf('Status', record.status),
      leaf('StatusUpdateReason', record.statusUpdateReason ?? ''),
    ]),
  );
}
