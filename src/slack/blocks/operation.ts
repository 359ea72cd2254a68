/** What a batch job will do, in words an approver can judge at a glance. */
import type { JobOperation } from '../../cos/model.js';
import { code, escapeMrkdwn, plural } from './text.js';

export interface OperationDescription {
  /** One mrkdwn line, e.g. "Copy objects to bucket `dst-125…` (ap-guangzhou)". */
  summary: string;
  /** The same in plain text for notification fallbacks and confirm dialogs. */
  plainSummary: string;
  destructive: boolean;
  /** Extra mrkdwn lines (storage class, tags, unrecognised parameters). */
  details: string[];
}

export interface TargetBucket {
  region: string;
  appId: string;
  bucket: string;
}

const TARGET_RESOURCE = /^qcs::cos:([a-z0-9-]+):uid\/(\d+):([^/:\s]+)$/;

/** Parses `qcs::cos:<region>:uid/<appid>:<bucket>`; undefined when it has another shape. */
export function parseTargetResource(resource: string): TargetBucket | undefined {
  const match = TARGET_RESOURCE.exec(resource.trim());
  if (!match) return undefined;
  const [, region, appId, bucket] = match as unknown as [string, string, string, string];
  return { region, appId, bucket };
}

const MAX_DETAIL_PARAMETERS = 8;

export function describeOperation(operation: JobOperation | string): OperationDescription {
  if (typeof operation === 'string') return describeOperationKind(operation);
  const parameters = operation.parameters;
  switch (operation.kind) {
    case 'COSPutObjectCopy':
      return describeCopy(parameters);
    case 'COSInitiateRestoreObject':
      return describeRestore(parameters);
    case 'COSPutObjectTagging':
      return describeTagging(parameters);
    case 'COSDeleteObject':
      return deleteDescription();
    default: {
      const name = operation.rawKind || 'unknown';
      return {
        summary: `${operation.destructive ? '⚠️ ' : ''}Unrecognised operation ${code(name, 64)}`,
        plainSummary: `Unrecognised operation ${name.slice(0, 64)}`,
        destructive: operation.destructive,
        details: [
          ...(operation.destructive
            ? ['*Destructive:* treat this job as one that deletes or overwrites data.']
            : ['cosjob does not know this operation; check it in the COS console before approving.']),
          ...parameterLines(parameters, new Set()),
        ],
      };
    }
  }
}

/** For list entries, which carry only the operation's element name. */
function describeOperationKind(kind: string): OperationDescription {
  switch (kind) {
    case 'COSPutObjectCopy':
      return { summary: 'Copy objects', plainSummary: 'Copy objects', destructive: false, details: [] };
    case 'COSInitiateRestoreObject':
      return {
        summary: 'Restore archived objects',
        plainSummary: 'Restore archived objects',
        destructive: false,
        details: [],
      };
    case 'COSPutObjectTagging':
      return { summary: 'Set object tags', plainSummary: 'Set object tags', destructive: false, details: [] };
    case 'COSDeleteObject':
      return deleteDescription();
    default: {
      const destructive = /delete/i.test(kind);
      return {
        summary: `${destructive ? '⚠️ ' : ''}Operation ${code(kind || 'unknown', 64)}`,
        plainSummary: `Operation ${kind.slice(0, 64) || 'unknown'}`,
        destructive,
        details: [],
      };
    }
  }
}

function deleteDescription(): OperationDescription {
  return {
    summary: '⚠️ *Delete objects* (destructive: deleted objects cannot be recovered)',
    plainSummary: 'DELETE objects (destructive)',
    destructive: true,
    details: [],
  };
}

function describeCopy(parameters: Readonly<Record<string, string>>): OperationDescription {
  const target = parameters.TargetResource ?? '';
  const bucket = parseTargetResource(target);
  const where = bucket
    ? `bucket ${code(bucket.bucket, 80)} (${escapeMrkdwn(bucket.region)})`
    : target
      ? code(target, 200)
      : 'an unspecified target';
  const plainWhere = bucket
    ? `bucket ${bucket.bucket} (${bucket.region})`
    : target.slice(0, 200) || 'unknown';
  const details: string[] = [];
  if (parameters.StorageClass) details.push(`*Storage class:* ${code(parameters.StorageClass, 40)}`);
  for (const directive of ['MetadataDirective', 'TaggingDirective', 'AccessControlDirective']) {
    const value = parameters[directive];
    if (value) details.push(`*${directive}:* ${code(value, 40)}`);
  }
  return {
    summary: `Copy objects to ${where}`,
    plainSummary: `Copy objects to ${plainWhere}`,
    destructive: false,
    details: [
      ...details,
      ...parameterLines(
        parameters,
        new Set([
          'TargetResource',
          'StorageClass',
          'MetadataDirective',
          'TaggingDirective',
          'AccessControlDirective',
        ]),
      ),
    ],
  };
}

function describeRestore(parameters: Readonly<Record<string, string>>): OperationDescription {
  const days = parameters.ExpirationInDays;
  const tier = parameters.JobTier;
  const daysText = days && /^\d{1,4}$/.test(days) ? plural(Number(days), 'day') : days ? `${days} days` : '';
  const forDays = daysText ? ` for ${escapeMrkdwn(daysText)}` : '';
  const atTier = tier ? ` at tier ${code(tier, 20)}` : '';
  const plainTier = tier ? ` at tier ${tier.slice(0, 20)}` : '';
  return {
    summary: `Restore archived objects${forDays}${atTier}`,
    plainSummary: `Restore archived objects${daysText ? ` for ${daysText.slice(0, 20)}` : ''}${plainTier}`,
    destructive: false,
    details: parameterLines(parameters, new Set(['ExpirationInDays', 'JobTier'])),
  };
}

function describeTagging(parameters: Readonly<Record<string, string>>): OperationDescription {
  // The flattening of repeated <COSTag> elements is the COS client's choice; pair any "...Key" with its
  // sibling "...Value" rather than assume one layout.
  const tags: string[] = [];
  const used = new Set<string>();
  for (const [path, key] of Object.entries(parameters)) {
    if (!/(^|\.)Key$/.test(path)) continue;
    const valuePath = path.replace(/Key$/, 'Value');
    tags.push(`${code(key, 64)} = ${code(parameters[valuePath] ?? '', 128)}`);
    used.add(path);
    used.add(valuePath);
  }
  const shown = tags.slice(0, MAX_DETAIL_PARAMETERS);
  const more = tags.length > shown.length ? ` and ${plural(tags.length - shown.length, 'more tag')}` : '';
  return {
    summary: 'Replace object tags',
    plainSummary: 'Replace object tags',
    destructive: false,
    details: [
      ...(shown.length > 0 ? [`*Tags:* ${shown.join(', ')}${more}`] : []),
      ...parameterLines(parameters, used),
    ],
  };
}

function parameterLines(
  parameters: Readonly<Record<string, string>>,
  shownAlready: ReadonlySet<string>,
): string[] {
  const rest = Object.entries(parameters).filter(([key]) => !shownAlready.has(key));
  if (rest.length === 0) return [];
  const shown = rest
    .slice(0, MAX_DETAIL_PARAMETERS)
    .map(([key, value]) => `${code(key, 64)} = ${code(value, 128)}`)
    .join(', ');
  const more = rest.length > MAX_DETAIL_PARAMETERS ? ` and ${rest.length - MAX_DETAIL_PARAMETERS} more` : '';
  return [`*Parameters:* ${shown}${more}`];
}
