/**
 * The CreateJob request body, for test tooling: cosjob itself never creates jobs, but the client tests
 * create them over HTTP, and the emulator, the demo and the benchmarks describe jobs with the same input.
 */
import { CosValidationError } from '../../src/cos/errors.js';
import { utf8Length, validatePriority } from '../../src/cos/validation.js';
import { escapeXmlText } from '../../src/cos/xml/entities.js';

export interface CreateJobInput {
  clientRequestToken: string;
  confirmationRequired: boolean;
  description?: string;
  priority: number;
  roleArn: string;
  manifest: {
    objectArn: string;
    etag: string;
    format?: string;
    fields?: string[];
  };
  operation:
    | {
        kind: 'COSPutObjectCopy';
        targetResource: string;
        storageClass?: string;
        extra?: Record<string, string>;
      }
    | { kind: 'COSInitiateRestoreObject'; expirationInDays: number; jobTier: 'Bulk' | 'Standard' }
    | { kind: 'COSPutObjectTagging'; tags: { key: string; value: string }[] }
    | { kind: 'COSDeleteObject' };
  report?: { bucket: string; enabled: boolean; prefix?: string; reportScope: 'AllTasks' | 'FailedTasksOnly' };
}

// XML 1.0 allows tab, newline, carriage return and everything from U+0020 except surrogates and U+FFFE/F.
const NOT_XML_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML forbids
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

function checkedText(field: string, value: string, maxBytes: number, minBytes = 0): string {
  if (typeof value !== 'string') throw new CosValidationError(field, `${field} must be text.`);
  const bytes = utf8Length(value);
  if (bytes < minBytes || bytes > maxBytes) {
    throw new CosValidationError(
      field,
      `${field} must be ${minBytes > 0 ? `${minBytes} to ` : 'at most '}${maxBytes} bytes of UTF-8 (got ${bytes}).`,
    );
  }
  if (NOT_XML_CHAR.test(value)) {
    throw new CosValidationError(field, `${field} contains a control character XML cannot carry; remove it.`);
  }
  return value;
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function textElement(name: string, field: string, value: string, maxBytes: number, minBytes = 0): string {
  return element(name, escapeXmlText(checkedText(field, value, maxBytes, minBytes)));
}

interface ElementTree {
  [name: string]: string | ElementTree;
}

/** `extra` keys may be dotted paths (`NewObjectMetadata.CacheControl`) to nest elements. */
function extraElements(extra: Readonly<Record<string, string>>): string {
  const tree: ElementTree = {};
  for (const [path, value] of Object.entries(extra)) {
    const names = path.split('.');
    if (!names.every((name) => ELEMENT_NAME.test(name))) {
      throw new CosValidationError(
        'operation.extra',
        `The operation parameter name ${JSON.stringify(path)} is not an XML element name (letters and digits, dotted for nesting).`,
      );
    }
    let node = tree;
    names.forEach((name, index) => {
      const existing = node[name];
      if (index === names.length - 1) {
        if (existing !== undefined) {
          throw new CosValidationError('operation.extra', `The operation parameter ${path} is given twice.`);
        }
        node[name] = checkedText(`operation.extra.${path}`, value, 4096);
      } else {
        if (typeof existing === 'string') {
          throw new CosValidationError(
            'operation.extra',
            `The operation parameter ${path} nests under a value.`,
          );
        }
        const next: ElementTree = existing ?? {};
        node[name] = next;
        node = next;
      }
    });
  }
  const render = (node: ElementTree): string =>
    Object.entries(node)
      .map(([name, value]) => element(name, typeof value === 'string' ? escapeXmlText(value) : render(value)))
      .join('');
  return render(tree);
}

function operationElement(operation: CreateJobInput['operation']): string {
  switch (operation.kind) {
    case 'COSPutObjectCopy': {
      const extra = { ...(operation.extra ?? {}) };
      if ('TargetResource' in extra || 'StorageClass' in extra) {
        throw new CosValidationError(
          'operation.extra',
          'Set TargetResource and StorageClass with targetResource and storageClass, not in extra.',
        );
      }
      return element(
        'COSPutObjectCopy',
        textElement('TargetResource', 'operation.targetResource', operation.targetResource, 1024, 1) +
          (operation.storageClass === undefined
            ? ''
            : textElement('StorageClass', 'operation.storageClass', operation.storageClass, 64, 1)) +
          extraElements(extra),
      );
    }
    case 'COSInitiateRestoreObject': {
      const days = operation.expirationInDays;
      if (!Number.isInteger(days) || days < 1 || days > 365) {
        throw new CosValidationError(
          'operation.expirationInDays',
          `expirationInDays must be a whole number from 1 to 365 (got ${String(days)}).`,
        );
      }
      if (operation.jobTier !== 'Bulk' && operation.jobTier !== 'Standard') {
        throw new CosValidationError('operation.jobTier', 'jobTier must be Bulk or Standard.');
      }
      return element(
        'COSInitiateRestoreObject',
        element('ExpirationInDays', String(days)) + element('JobTier', operation.jobTier),
      );
    }
    case 'COSPutObjectTagging':
      return element(
        'COSPutObjectTagging',
        element(
          'TagSet',
          operation.tags
            .map((tag, index) =>
              element(
                'COSTag',
                textElement('Key', `operation.tags[${index}].key`, tag.key, 128, 1) +
                  textElement('Value', `operation.tags[${index}].value`, tag.value, 256),
              ),
            )
            .join(''),
        ),
      );
    case 'COSDeleteObject':
      return '<COSDeleteObject></COSDeleteObject>';
    default: {
      const unknownKind: never = operation;
      throw new CosValidationError('operation.kind', `Unknown operation ${JSON.stringify(unknownKind)}.`);
    }
  }
}

/** The CreateJob request body, with every text escaped and every input checked against COS limits. */
export function buildCreateJobRequest(input: CreateJobInput): string {
  const manifest = input.manifest;
  const fields = manifest.fields ?? ['Bucket', 'Key'];
  const manifestXml = element(
    'Manifest',
    element(
      'Location',
      textElement('ETag', 'manifest.etag', manifest.etag, 1024, 1) +
        textElement('ObjectArn', 'manifest.objectArn', manifest.objectArn, 1024, 1),
    ) +
      element(
        'Spec',
        element(
          'Fields',
          fields
            .map((field, index) => textElement('member', `manifest.fields[${index}]`, field, 64, 1))
            .join(''),
        ) + textElement('Format', 'manifest.format', manifest.format ?? 'COSBatchOperations_CSV_V1', 64, 1),
      ),
  );
  const report = input.report;
  const reportXml =
    report === undefined
      ? ''
      : element(
          'Report',
          textElement('Bucket', 'report.bucket', report.bucket, 1024, 1) +
            element('Enabled', report.enabled ? 'true' : 'false') +
            element('Format', 'Report_CSV_V1') +
            (report.prefix === undefined ? '' : textElement('Prefix', 'report.prefix', report.prefix, 256)) +
            element('ReportScope', report.reportScope === 'FailedTasksOnly' ? 'FailedTasksOnly' : 'AllTasks'),
        );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    element(
      'CreateJobRequest',
      textElement('ClientRequestToken', 'clientRequestToken', input.clientRequestToken, 64, 1) +
        element('ConfirmationRequired', input.confirmationRequired ? 'true' : 'false') +
        (input.description === undefined
          ? ''
          : textElement('Description', 'description', input.description, 256)) +
        manifestXml +
        element('Operation', operationElement(input.operation)) +
        element('Priority', String(validatePriority(input.priority))) +
        reportXml +
        textElement('RoleArn', 'roleArn', input.roleArn, 1024, 1),
    )
  );
}
