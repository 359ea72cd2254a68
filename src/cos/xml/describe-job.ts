/**
 * DescribeJob answers, and the job parts (operation, progress) a ListJobs member shares with them.
 */
import type {
  Job,
  JobFailure,
  JobManifest,
  JobOperation,
  JobProgress,
  JobReport,
  OperationKind,
} from '../model.js';
import { parsePlainOrXmlDocument } from './document.js';
import {
  child,
  count,
  freeText,
  invalidResponse,
  isRecord,
  leaf,
  list,
  optional,
  required,
  root,
  textOf,
  token,
} from './tree.js';

export function parseProgress(node: unknown): JobProgress {
  const summary = child(node, 'ProgressSummary');
  return {
    totalTasks: count(summary, 'TotalNumberOfTasks'),
    succeededTasks: count(summary, 'NumberOfTasksSucceeded'),
    failedTasks: count(summary, 'NumberOfTasksFailed'),
  };
}

const KNOWN_OPERATIONS: ReadonlySet<string> = new Set([
  'COSPutObjectCopy',
  'COSInitiateRestoreObject',
  'COSPutObjectTagging',
  'COSDeleteObject',
]);

export function isDestructiveOperation(rawKind: string): boolean {
  return rawKind === 'COSDeleteObject' || /delete/i.test(rawKind);
}

function elementNames(node: unknown): string[] {
  return isRecord(node) ? Object.keys(node).filter((key) => key !== '#text') : [];
}

function flatten(value: unknown, path: string, out: Record<string, string>): void {
  if (typeof value === 'string') {
    if (path !== '') out[path] = value;
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      flatten(item, `${path}[${index}]`, out);
    });
  } else if (isRecord(value)) {
    for (const key of elementNames(value)) flatten(value[key], path === '' ? key : `${path}.${key}`, out);
  }
}

export function parseOperation(node: unknown): JobOperation {
  const operation = child(node, 'Operation');
  // ListJobs may name the operation as text; DescribeJob nests it as an element.
  const asText = textOf(operation)?.trim();
  const rawKind = asText ?? elementNames(operation)[0] ?? '';
  const parameters: Record<string, string> = {};
  if (asText === undefined && rawKind !== '') {
    const body = child(operation, rawKind);
    flatten(Array.isArray(body) ? body[0] : body, '', parameters);
  }
  return {
    kind: KNOWN_OPERATIONS.has(rawKind) ? (rawKind as OperationKind) : 'unknown',
    rawKind,
    parameters,
    destructive: isDestructiveOperation(rawKind),
  };
}

function parseManifest(node: unknown): JobManifest | undefined {
  const manifest = child(node, 'Manifest');
  if (manifest === undefined) return undefined;
  const location = child(manifest, 'Location');
  const spec = child(manifest, 'Spec');
  const objectVersionId = token(location, 'ObjectVersionId');
  return {
    location: {
      objectArn: token(location, 'ObjectArn') ?? '',
      etag: token(location, 'ETag') ?? '',
      ...optional('objectVersionId', objectVersionId),
    },
    format: token(spec, 'Format') ?? '',
    fields: list(child(spec, 'Fields'), 'member')
      .map((field) => textOf(field)?.trim() ?? '')
      .filter((field) => field !== ''),
  };
}

function parseReport(node: unknown): JobReport | undefined {
  const report = child(node, 'Report');
  if (report === undefined) return undefined;
  return {
    bucket: token(report, 'Bucket') ?? '',
    enabled: token(report, 'Enabled') === 'true',
    format: token(report, 'Format') ?? '',
    prefix: leaf(report, 'Prefix') ?? '',
    reportScope: token(report, 'ReportScope') ?? '',
  };
}

function parseFailures(node: unknown): JobFailure[] {
  return list(child(node, 'FailureReasons'), 'JobFailure')
    .map((failure) => ({
      code: token(failure, 'FailureCode') ?? '',
      reason: freeText(failure, 'FailureReason') ?? '',
    }))
    .filter((failure) => failure.code !== '' || failure.reason.trim() !== '');
}

function parseJobNode(node: unknown): Job {
  const manifest = parseManifest(node);
  const report = parseReport(node);
  return {
    id: required(node, 'JobId', 'Job'),
    status: required(node, 'Status', 'Job'),
    priority: count(node, 'Priority'),
    description: leaf(node, 'Description') ?? '',
    ...optional('creationTime', token(node, 'CreationTime')),
    ...optional('terminationDate', token(node, 'TerminationDate')),
    confirmationRequired: token(node, 'ConfirmationRequired') === 'true',
    operation: parseOperation(node),
    ...optional('manifest', manifest),
    ...optional('report', report),
    ...optional('roleArn', token(node, 'RoleArn')),
    progress: parseProgress(node),
    failureReasons: parseFailures(node),
    ...optional('statusUpdateReason', freeText(node, 'StatusUpdateReason')),
    ...optional('suspendedCause', freeText(node, 'SuspendedCause')),
    ...optional('suspendedDate', token(node, 'SuspendedDate')),
  };
}

/** DescribeJob: `<DescribeJobResult><Job>…</Job></DescribeJobResult>`. */
export function parseDescribeJob(xml: string): Job {
  return describeJobFromDocument(parsePlainOrXmlDocument(xml));
}

/** The Job in a parsed DescribeJob document (from either reader of document.ts). */
export function describeJobFromDocument(document: Record<string, unknown>): Job {
  const result = root(document, 'DescribeJobResult');
  const job = child(result, 'Job');
  if (!isRecord(job)) throw invalidResponse('The DescribeJob response has no <Job> element.');
  return parseJobNode(job);
}
