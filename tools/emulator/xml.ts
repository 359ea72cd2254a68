import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CreateJobInput } from '../cos/create-job-xml.js';
import { CosApiError, invalidArgument, invalidRequest, malformedXml } from './errors.js';

/**
 * XML in and out for the emulator. Output is built by hand (string concatenation over a tiny node tree):
 * the shapes are fixed and small, and this keeps the response path free of a serializer's overhead.
 * Output is indented like the real service's samples, so clients that keep whitespace are exercised too.
 */

export interface XmlNode {
  name: string;
  /** Leaf text (unescaped). Ignored when children are present. */
  text?: string;
  children?: XmlNode[];
}

// XML 1.0 forbids most C0 controls and lone surrogates even when escaped; replace them.
const FORBIDDEN_XML_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the forbidden control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  const clean = text.replace(FORBIDDEN_XML_CHARS, '\uFFFD');
  if (!NEEDS_ESCAPE.test(clean)) return clean;
  return clean.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export const XML_DECLARATION = `<?xml version='1.0' encoding='utf-8' ?>\n`;

export function leaf(name: string, text: string | number | boolean): XmlNode {
  return { name, text: String(text) };
}

export function node(name: string, children: (XmlNode | undefined)[]): XmlNode {
  return { name, children: children.filter((c): c is XmlNode => c !== undefined) };
}

function write(n: XmlNode, indent: string, out: string[]): void {
  if (n.children === undefined) {
    const text = n.text ?? '';
    out.push(
      text === '' ? `${indent}<${n.name}/>\n` : `${indent}<${n.name}>${escapeXml(text)}</${n.name}>\n`,
    );
    return;
  }
  if (n.children.length === 0) {
    out.push(`${indent}<${n.name}></${n.name}>\n`);
    return;
  }
  out.push(`${indent}<${n.name}>\n`);
  const inner = `${indent}    `;
  for (const child of n.children) write(child, inner, out);
  out.push(`${indent}</${n.name}>\n`);
}

export function renderDocument(root: XmlNode): string {
  const out: string[] = [XML_DECLARATION];
  write(root, '', out);
  return out.join('');
}

export function renderError(
  code: string,
  message: string,
  resource: string,
  requestId: string,
  traceId: string,
): string {
  return renderDocument(
    node('Error', [
      leaf('Code', code),
      leaf('Message', message),
      leaf('Resource', resource),
      leaf('RequestId', requestId),
      leaf('TraceId', traceId),
    ]),
  );
}

/** The `<Operation>` child for a job created through the store API (not posted as XML). */
export function operationNode(operation: CreateJobInput['operation']): XmlNode {
  switch (operation.kind) {
    case 'COSPutObjectCopy': {
      const children: XmlNode[] = [leaf('TargetResource', operation.targetResource)];
      if (operation.storageClass !== undefined) children.push(leaf('StorageClass', operation.storageClass));
      for (const [path, value] of Object.entries(operation.extra ?? {})) insertPath(children, path, value);
      return node('COSPutObjectCopy', children);
    }
    case 'COSInitiateRestoreObject':
      return node('COSInitiateRestoreObject', [
        leaf('ExpirationInDays', operation.expirationInDays),
        leaf('JobTier', operation.jobTier),
      ]);
    case 'COSPutObjectTagging':
      // Element names after AWS S3PutObjectTagging with the COS prefix (UNCONFIRMED for COS).
      return node('COSPutObjectTagging', [
        node(
          'TagSet',
          operation.tags.map((t) => node('COSTag', [leaf('Key', t.key), leaf('Value', t.value)])),
        ),
      ]);
    case 'COSDeleteObject':
      return node('COSDeleteObject', []);
  }
}

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Adds `a.b.c = value` as nested elements, merging with siblings already present. */
function insertPath(children: XmlNode[], path: string, value: string): void {
  const parts = path.split('.');
  if (parts.some((p) => !ELEMENT_NAME.test(p))) return; // never emit a name that would break the XML
  let level = children;
  for (let i = 0; i < parts.length - 1; i++) {
    const name = parts[i]!;
    let next = level.find((c) => c.name === name && c.children !== undefined);
    if (next === undefined) {
      next = { name, children: [] };
      level.push(next);
    }
    level = next.children!;
  }
  level.push(leaf(parts[parts.length - 1]!, value));
}

// ---------------------------------------------------------------------------------------------------
// CreateJob request parsing
// ---------------------------------------------------------------------------------------------------

const createJobParser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  maxNestedTags: 30,
  isArray: (_name, jPath) => ARRAY_PATHS.has(String(jPath)),
});

const ARRAY_PATHS = new Set([
  'CreateJobRequest.Manifest.Spec.Fields.member',
  'CreateJobRequest.Operation.COSPutObjectTagging.TagSet.COSTag',
  'CreateJobRequest.Operation.COSPutObjectTagging.TagSet.member',
]);

const OPERATION_KINDS = [
  'COSPutObjectCopy',
  'COSInitiateRestoreObject',
  'COSPutObjectTagging',
  'COSDeleteObject',
];
const MANIFEST_FORMATS = new Set(['COSBatchOperations_CSV_V1', 'COSInventoryReport_CSV_V1']);
const MANIFEST_FIELDS = new Set(['Ignore', 'Bucket', 'Key', 'VersionId']);

type Parsed = Record<string, unknown>;

function isObject(value: unknown): value is Parsed {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A leaf's text: fast-xml-parser gives '' for `<a/>` and a string for `<a>x</a>`. */
function textOf(parent: Parsed, name: string): string | undefined {
  const value = parent[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return undefined;
}

function objectOf(parent: Parsed, name: string): Parsed | undefined {
  const value = parent[name];
  if (isObject(value)) return value;
  // `<Report></Report>` parses as ''; treat it like an empty element.
  if (value === '') return {};
  return undefined;
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Converts a parsed object subtree back to nodes, so a posted Operation renders back as posted. */
function toNode(name: string, value: unknown): XmlNode[] {
  if (Array.isArray(value)) return value.flatMap((v) => toNode(name, v));
  if (isObject(value)) {
    return [
      node(
        name,
        Object.entries(value).flatMap(([k, v]) => toNode(k, v)),
      ),
    ];
  }
  return [leaf(name, typeof value === 'string' ? value : String(value ?? ''))];
}

function flatten(value: Parsed, prefix: string, into: Record<string, string>): void {
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof child === 'string') into[path] = child;
    else if (isObject(child)) flatten(child, path, into);
  }
}

export interface ParsedCreateJob {
  input: CreateJobInput;
  operationXml: XmlNode;
}

/** Validates a CreateJobRequest body; errors name the element that was wrong, as COS error codes. */
export function parseCreateJobRequest(body: string): ParsedCreateJob {
  if (body.trim() === '')
    throw invalidRequest('the request body is empty: send a CreateJobRequest XML document');
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw malformedXml(
      `the request body is not well-formed XML (${valid.err.msg} at line ${valid.err.line})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = createJobParser.parse(body);
  } catch (error) {
    throw malformedXml(`the request body could not be parsed: ${(error as Error).message}`);
  }
  const request = isObject(parsed) ? objectOf(parsed, 'CreateJobRequest') : undefined;
  if (request === undefined) throw malformedXml('the root element must be <CreateJobRequest>');

  const token = textOf(request, 'ClientRequestToken');
  if (token === undefined || token === '' || bytes(token) > 64) {
    throw invalidArgument('ClientRequestToken is required and must be 1 to 64 bytes (a UUID is recommended)');
  }
  const confirmation = textOf(request, 'ConfirmationRequired');
  if (confirmation !== undefined && confirmation !== 'true' && confirmation !== 'false') {
    throw invalidArgument('ConfirmationRequired must be true or false');
  }
  const description = textOf(request, 'Description');
  if (description !== undefined && bytes(description) > 256) {
    throw invalidArgument('Description must be at most 256 bytes');
  }
  const priorityText = textOf(request, 'Priority');
  if (
    priorityText === undefined ||
    !/^\d{1,10}$/.test(priorityText) ||
    Number(priorityText) > 2_147_483_647
  ) {
    throw invalidArgument('Priority is required and must be an integer from 0 to 2147483647');
  }
  const roleArn = textOf(request, 'RoleArn');
  if (roleArn === undefined || roleArn === '' || bytes(roleArn) > 2048) {
    throw invalidArgument('RoleArn is required, e.g. qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole');
  }

  const manifest = parseManifest(objectOf(request, 'Manifest'));
  const { operation, operationXml } = parseOperation(objectOf(request, 'Operation'));
  const report = parseReport(request);

  const input: CreateJobInput = {
    clientRequestToken: token,
    confirmationRequired: confirmation === 'true',
    priority: Number(priorityText),
    roleArn,
    manifest,
    operation,
  };
  if (description !== undefined) input.description = description;
  if (report !== undefined) input.report = report;
  return { input, operationXml };
}

function parseManifest(manifest: Parsed | undefined): CreateJobInput['manifest'] {
  if (manifest === undefined) throw malformedXml('Manifest is missing or malformed');
  const location = objectOf(manifest, 'Location');
  const etag = location ? textOf(location, 'ETag') : undefined;
  const objectArn = location ? textOf(location, 'ObjectArn') : undefined;
  if (location === undefined || !etag || !objectArn || bytes(etag) > 1024 || bytes(objectArn) > 1024) {
    throw malformedXml('Manifest/Location needs ETag and ObjectArn (1 to 1024 bytes each)');
  }
  const spec = objectOf(manifest, 'Spec');
  const format = spec ? textOf(spec, 'Format') : undefined;
  if (spec === undefined || format === undefined || !MANIFEST_FORMATS.has(format)) {
    throw malformedXml('Manifest/Spec/Format must be COSBatchOperations_CSV_V1 or COSInventoryReport_CSV_V1');
  }
  const fieldsNode = objectOf(spec, 'Fields');
  const rawFields = fieldsNode?.member;
  const fields = Array.isArray(rawFields) ? rawFields : [];
  if (!fields.every((f): f is string => typeof f === 'string' && MANIFEST_FIELDS.has(f))) {
    throw malformedXml('Manifest/Spec/Fields members must be Ignore, Bucket, Key or VersionId');
  }
  if (format === 'COSBatchOperations_CSV_V1' && fields.length === 0) {
    throw malformedXml('Manifest/Spec/Fields is required for COSBatchOperations_CSV_V1 (e.g. Bucket, Key)');
  }
  return { objectArn, etag, format, fields };
}

function parseOperation(operation: Parsed | undefined): {
  operation: CreateJobInput['operation'];
  operationXml: XmlNode;
} {
  const kinds = operation ? Object.keys(operation) : [];
  if (operation === undefined || kinds.length !== 1 || !OPERATION_KINDS.includes(kinds[0]!)) {
    throw malformedXml(`Operation must contain exactly one of ${OPERATION_KINDS.join(', ')}`);
  }
  const kind = kinds[0]!;
  const raw = operation[kind];
  const body = isObject(raw) ? raw : {};
  const operationXml = toNode(kind, isObject(raw) ? raw : {})[0]!;
  switch (kind) {
    case 'COSPutObjectCopy': {
      const target = textOf(body, 'TargetResource');
      if (!target) throw malformedXml('COSPutObjectCopy needs TargetResource');
      const extra: Record<string, string> = {};
      flatten(body, '', extra);
      delete extra.TargetResource;
      const storageClass = textOf(body, 'StorageClass');
      delete extra.StorageClass;
      return {
        operation: {
          kind,
          targetResource: target,
          ...(storageClass !== undefined ? { storageClass } : {}),
          ...(Object.keys(extra).length > 0 ? { extra } : {}),
        },
        operationXml,
      };
    }
    case 'COSInitiateRestoreObject': {
      const days = textOf(body, 'ExpirationInDays');
      const tier = textOf(body, 'JobTier');
      if (days === undefined || !/^\d{1,3}$/.test(days) || Number(days) < 1 || Number(days) > 365) {
        throw malformedXml('COSInitiateRestoreObject/ExpirationInDays must be 1 to 365');
      }
      if (tier !== 'Bulk' && tier !== 'Standard') {
        throw malformedXml('COSInitiateRestoreObject/JobTier must be Bulk or Standard');
      }
      return { operation: { kind, expirationInDays: Number(days), jobTier: tier }, operationXml };
    }
    case 'COSPutObjectTagging': {
      const tagSet = objectOf(body, 'TagSet');
      const rawTags = tagSet ? (tagSet.COSTag ?? tagSet.member ?? []) : [];
      const list = Array.isArray(rawTags) ? rawTags : [];
      const tags = list.map((t) => {
        const key = isObject(t) ? textOf(t, 'Key') : undefined;
        const value = isObject(t) ? (textOf(t, 'Value') ?? '') : '';
        if (!key) throw malformedXml('COSPutObjectTagging/TagSet/COSTag entries need a Key');
        return { key, value };
      });
      return { operation: { kind, tags }, operationXml };
    }
    default:
      return { operation: { kind: 'COSDeleteObject' }, operationXml: node('COSDeleteObject', []) };
  }
}

function parseReport(request: Parsed): CreateJobInput['report'] {
  if (request.Report === undefined) return undefined;
  const report = objectOf(request, 'Report');
  if (report === undefined) throw malformedXml('Report is malformed');
  const bucket = textOf(report, 'Bucket');
  const enabled = textOf(report, 'Enabled');
  const format = textOf(report, 'Format');
  const prefix = textOf(report, 'Prefix');
  const scope = textOf(report, 'ReportScope');
  if (!bucket) throw malformedXml('Report/Bucket is required');
  if (enabled !== 'true' && enabled !== 'false') throw malformedXml('Report/Enabled must be true or false');
  if (format !== undefined && format !== 'Report_CSV_V1')
    throw malformedXml('Report/Format must be Report_CSV_V1');
  if (prefix !== undefined && bytes(prefix) > 256)
    throw malformedXml('Report/Prefix must be at most 256 bytes');
  if (scope !== 'AllTasks' && scope !== 'FailedTasksOnly') {
    throw malformedXml('Report/ReportScope must be AllTasks or FailedTasksOnly');
  }
  return {
    bucket,
    enabled: enabled === 'true',
    reportScope: scope,
    ...(prefix !== undefined ? { prefix } : {}),
  };
}

export function isCosApiError(error: unknown): error is CosApiError {
  return error instanceof CosApiError;
}
