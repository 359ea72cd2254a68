/** What a batch job will do, in words an approver can judge at a glance. */
import type { JobOperation } from '../../cos/model.js';
import { code, plural, TEXT_CAPS, userPlain, userText } from './text.js';

export interface OperationDescription {
  /** One mrkdwn line, e.g. "Copy objects to bucket `dst-125…` (ap-guangzhou)". */
  summary: string;
  /**
   * The same in plain text for notification fallbacks and confirm dialogs: neutralised and capped but
   * not escaped, so whoever puts it into mrkdwn passes it through `userText`.
   */
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
/** ExpirationInDays and JobTier are short codes ("7", "Standard"); more than this is not one. */
const RESTORE_FIELD_CHARS = 20;

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
        summary: `${operation.destructive ? '⚠️ ' : ''}Unrecognised operation ${code(name, TEXT_CAPS.operationName)}`,
        plainSummary: `Unrecognised operation ${userPlain(name, TEXT_CAPS.operationName)}`,
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
        summary: `${destructive ? '⚠️ ' : ''}Operation ${code(kind || 'unknown', TEXT_CAPS.operationName)}`,
        plainSummary: `Operation ${userPlain(kind, TEXT_CAPS.operationName) || 'unknown'}`,
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
    ? `bucket ${code(bucket.bucket, TEXT_CAPS.bucket)} (${userText(bucket.region, TEXT_CAPS.region)})`
    : target
      ? code(target, TEXT_CAPS.objectKey)
      : 'an unspecified target';
  const plainWhere = bucket
    ? `bucket ${userPlain(bucket.bucket, TEXT_CAPS.bucket)} (${userPlain(bucket.region, TEXT_CAPS.region)})`
    : userPlain(target, TEXT_CAPS.objectKey) || 'unknown';
  const details: string[] = [];
  if (parameters.StorageClass) {
    details.push(`*Storage class:* ${code(parameters.StorageClass, TEXT_CAPS.storageClass)}`);
  }
  for (const directive of ['MetadataDirective', 'TaggingDirective', 'AccessControlDirective']) {
    const value = parameters[directive];
    if (value) details.push(`*${directive}:* ${code(value, TEXT_CAPS.storageClass)}`);
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
  // Only a plain number of days is worded; anything else is shown as the code COS sent.
  const wordedDays = days && /^\d{1,4}$/.test(days) ? plural(Number(days), 'day') : undefined;
  const forDays = wordedDays
    ? ` for ${wordedDays}`
    : days
      ? ` for ${code(days, RESTORE_FIELD_CHARS)} days`
      : '';
  const plainDays = wordedDays ?? (days ? `${userPlain(days, RESTORE_FIELD_CHARS)} days` : '');
  const atTier = tier ? ` at tier ${code(tier, RESTORE_FIELD_CHARS)}` : '';
  const plainTier = tier ? ` at tier ${userPlain(tier, RESTORE_FIELD_CHARS)}` : '';
  return {
    summary: `Restore archived objects${forDays}${atTier}`,
    plainSummary: `Restore archived objects${plainDays ? ` for ${plainDays}` : ''}${plainTier}`,
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
    tags.push(`${code(key, TEXT_CAPS.tagKey)} = ${code(parameters[valuePath] ?? '', TEXT_CAPS.tagValue)}`);
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
    .map(([key, value]) => `${code(key, TEXT_CAPS.parameterName)} = ${code(value, TEXT_CAPS.parameterValue)}`)
    .join(', ');
  const more = rest.length > MAX_DETAIL_PARAMETERS ? ` and ${rest.length - MAX_DETAIL_PARAMETERS} more` : '';
  return [`*Parameters:* ${shown}${more}`];
}
