/**
 * COS job XML in both directions: parsing responses into the typed model (src/cos/model.ts) and building
 * the CreateJob request body.
 *
 * Entity stance (cos-batch-jobs.md 9.3): the parser runs with `processEntities: false`, so fast-xml-parser
 * never expands anything, and this module decodes only the five predefined entities and numeric
 * character references itself, in one pass. On top of that any markup declaration (`<!DOCTYPE`,
 * `<!ENTITY`, ...) is refused before parsing: COS never sends a DTD, so a body carrying one is not COS
 * and is rejected with a clear error instead of being half-trusted. Billion-laughs and external-entity
 * payloads therefore never expand, whatever the parser's own limits are.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { bodySnippet, type CosApiName, CosError, CosValidationError, sanitizeServerText } from './errors.js';
import type {
  CreateJobInput,
  Job,
  JobFailure,
  JobManifest,
  JobOperation,
  JobProgress,
  JobReport,
  JobSummary,
  ListJobsBadMember,
  ListJobsPage,
  OperationKind,
  UpdateJobStatusResult,
} from './model.js';
import { utf8Length, validateJobId, validatePriority } from './validation.js';

/** Larger bodies are refused: a ListJobs page of 1000 members is about 400 KiB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface UpdateJobPriorityResult {
  jobId: string;
  priority: number;
}

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

function invalidResponse(message: string, cause?: unknown): CosError {
  return new CosError({ code: 'InvalidResponse', message, cause });
}

// ---- Reading bodies ----

/**
 * Reads a streamed body as UTF-8, refusing (and abandoning the stream) as soon as it exceeds
 * `maxBytes`, so a runaway or hostile response cannot exhaust memory.
 */
export async function readLimitedText(
  source: AsyncIterable<Uint8Array | string>,
  maxBytes = MAX_RESPONSE_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    total += buffer.length;
    if (total > maxBytes) {
      // Leaving the loop early closes the stream (the iterator's return() destroys it).
      throw tooLarge(maxBytes);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** Not retryable: the same request would bring back the same oversize body. */
export function responseTooLarge(message: string): CosError {
  return new CosError({ code: 'InvalidResponse', message, retryable: false });
}

function tooLarge(maxBytes: number): CosError {
  return responseTooLarge(
    `The response body is larger than ${maxBytes} bytes; cosjob refuses to read it. COS job responses are far smaller, so check COS_ENDPOINT and any proxy in between.`,
  );
}

// ---- Entities ----

const XML_ENTITY = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));/g;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/**
 * Decodes the five predefined entities and numeric character references in one pass, so `&amp;lt;`
 * becomes `&lt;` and not `<`. A reference to a code point XML does not allow (NUL, surrogates, beyond
 * U+10FFFF) and any other `&name;` stay as written: they are shown, never interpreted.
 */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    XML_ENTITY,
    (whole, name: string | undefined, dec: string | undefined, hex?: string) => {
      if (name !== undefined) return PREDEFINED[name] ?? whole;
      const codePoint = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
      return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : whole;
    },
  );
}

export function escapeXmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

// ---- Parsing ----

// Every element that can repeat is forced to an array, so a single <member> is still a list.
function isListPath(tagName: string, jPath: string): boolean {
  return (
    jPath === 'ListJobsResult.Jobs.member' ||
    tagName === 'JobFailure' ||
    tagName === 'COSTag' ||
    jPath.endsWith('.Fields.member') ||
    jPath.endsWith('.UserMetadata.member')
  );
}

const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // Free text (Description, StatusUpdateReason, messages) keeps its spaces; typed fields are trimmed here.
  trimValues: false,
  isArray: (tagName, jPath) => isListPath(tagName, String(jPath)),
  tagValueProcessor: (_tagName, value) => decodeXmlText(value),
  maxNestedTags: 24,
});

/**
 * CDATA is legal XML; turning it into escaped text first means every text node goes through the same
 * single decoding step (CDATA content must not be entity-decoded). Linear: one indexOf scan.
 */
function cdataToText(xml: string): string {
  if (!xml.includes('<![CDATA[')) return xml;
  let out = '';
  let from = 0;
  for (;;) {
    const start = xml.indexOf('<![CDATA[', from);
    if (start < 0) break;
    const end = xml.indexOf(']]>', start + 9);
    if (end < 0) break; // left for the validator to report as unclosed
    out += xml.slice(from, start) + escapeXmlText(xml.slice(start + 9, end));
    from = end + 3;
  }
  return out + xml.slice(from);
}

function refuseMarkupDeclarations(xml: string): void {
  let at = xml.indexOf('<!');
  while (at >= 0) {
    if (!xml.startsWith('<!--', at)) {
      throw invalidResponse(
        'The response contains a DTD or markup declaration (<!DOCTYPE ...> or <!ENTITY ...>). COS never sends one, so the body is refused without being parsed.',
      );
    }
    const end = xml.indexOf('-->', at + 4);
    if (end < 0) return; // unclosed comment: the validator reports it
    at = xml.indexOf('<!', end + 3);
  }
}

/** Size check, DTD refusal, well-formedness check, then the parse. */
export function parseXmlDocument(xml: string): Record<string, unknown> {
  if (xml.length > MAX_RESPONSE_BYTES || utf8Length(xml) > MAX_RESPONSE_BYTES) {
    throw tooLarge(MAX_RESPONSE_BYTES);
  }
  const text = cdataToText(xml.replace(/^\uFEFF/, ''));
  if (text.trim() === '') throw invalidResponse('The response body is empty where COS sends XML.');
  refuseMarkupDeclarations(text);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const where = valid.err.line === undefined ? '' : ` at line ${valid.err.line}`;
    throw invalidResponse(
      `The response is not well-formed XML (${valid.err.msg}${where}); it may be cut short or not come from COS. It starts with ${bodySnippet(text)}.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (error) {
    throw invalidResponse(
      `The response XML could not be parsed: ${error instanceof Error ? error.message : String(error)}.`,
      error,
    );
  }
  if (!isRecord(parsed)) throw invalidResponse('The response XML has no root element.');
  return parsed;
}

// ---- Reading the parsed tree ----

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(node: unknown, name: string): unknown {
  return isRecord(node) && Object.hasOwn(node, name) ? node[name] : undefined;
}

/** The text of an element; an element repeated by mistake gives its first occurrence. */
function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (isRecord(first) && typeof first['#text'] === 'string' && Object.keys(first).length === 1) {
    return first['#text'];
  }
  return undefined;
}

function leaf(node: unknown, name: string): string | undefined {
  return textOf(child(node, name));
}

/** Trimmed text, or undefined when absent or empty. */
function token(node: unknown, name: string): string | undefined {
  const value = leaf(node, name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Free text kept as sent; undefined when absent or empty. */
function freeText(node: unknown, name: string): string | undefined {
  const value = leaf(node, name);
  return value === undefined || value === '' ? undefined : value;
}

function list(node: unknown, name: string): unknown[] {
  const value = child(node, name);
  if (value === undefined || typeof value === 'string') return [];
  return Array.isArray(value) ? value : [value];
}

function required(node: unknown, name: string, where: string): string {
  const value = token(node, name);
  if (value === undefined) {
    throw invalidResponse(
      `The COS response has no <${name}> in <${where}>; it does not look like a COS answer.`,
    );
  }
  return value;
}

function root(document: Record<string, unknown>, name: string): Record<string, unknown> {
  const node = document[name];
  if (isRecord(node)) return node;
  if (typeof node === 'string') return {};
  const found = Object.keys(document).filter((key) => key !== '#text');
  throw invalidResponse(
    `Expected a <${name}> document but got ${found.length === 0 ? 'no element' : `<${found.join('>, <')}>`}.`,
  );
}

function count(node: unknown, name: string, fallback = 0): number {
  const text = token(node, name);
  if (text === undefined) return fallback;
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw invalidResponse(
      `The COS response has <${name}>${JSON.stringify(text.slice(0, 40))}</${name}>, expected a whole number.`,
    );
  }
  return Number(text);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function parseProgress(node: unknown): JobProgress {
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

function parseOperation(node: unknown): JobOperation {
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

/** The id goes into Redis keys and request paths, so a listed id must pass the same check as input. */
function listedJobId(node: unknown): string {
  const id = required(node, 'JobId', 'member');
  try {
    return validateJobId(id);
  } catch {
    throw invalidResponse(
      `The listed JobId ${bodySnippet(id, 80)} is not one cosjob can use safely: a COS JobId has at most 64 letters, digits, - and _.`,
    );
  }
}

function parseSummaryNode(node: unknown): JobSummary {
  return {
    id: listedJobId(node),
    status: required(node, 'Status', 'member'),
    priority: count(node, 'Priority'),
    description: leaf(node, 'Description') ?? '',
    ...optional('creationTime', token(node, 'CreationTime')),
    ...optional('terminationDate', token(node, 'TerminationDate')),
    operation: parseOperation(node).rawKind,
    progress: parseProgress(node),
  };
}

/** DescribeJob: `<DescribeJobResult><Job>…</Job></DescribeJobResult>`. */
export function parseDescribeJob(xml: string): Job {
  const result = root(parseXmlDocument(xml), 'DescribeJobResult');
  const job = child(result, 'Job');
  if (!isRecord(job)) throw invalidResponse('The DescribeJob response has no <Job> element.');
  return parseJobNode(job);
}

/**
 * ListJobs: a missing `<Jobs>`, `<Jobs/>` or whitespace-only `<Jobs>` is an empty page. Members are read
 * one at a time: an unreadable one goes to `badMembers` instead of rejecting the page, so a single odd
 * job cannot block discovery for a whole region. A body that is not a ListJobs document still throws.
 */
export function parseListJobs(xml: string): ListJobsPage {
  const result = root(parseXmlDocument(xml), 'ListJobsResult');
  const jobs: JobSummary[] = [];
  const badMembers: ListJobsBadMember[] = [];
  list(child(result, 'Jobs'), 'member').forEach((node, index) => {
    try {
      jobs.push(parseSummaryNode(node));
    } catch (error) {
      if (!(error instanceof CosError)) throw error;
      const listedId = sanitizeServerText(token(node, 'JobId') ?? '', 80);
      badMembers.push({ index, ...optional('jobId', listedId || undefined), problem: error.message });
    }
  });
  return {
    jobs,
    ...optional('nextToken', token(result, 'NextToken')),
    ...(badMembers.length === 0 ? {} : { badMembers }),
  };
}

export function parseUpdateJobStatus(xml: string): UpdateJobStatusResult {
  const result = root(parseXmlDocument(xml), 'UpdateJobStatusResult');
  return {
    jobId: required(result, 'JobId', 'UpdateJobStatusResult'),
    status: required(result, 'Status', 'UpdateJobStatusResult'),
    ...optional('statusUpdateReason', freeText(result, 'StatusUpdateReason')),
  };
}

export function parseCreateJob(xml: string): string {
  return required(root(parseXmlDocument(xml), 'CreateJobResult'), 'JobId', 'CreateJobResult');
}

export function parseUpdateJobPriority(xml: string): UpdateJobPriorityResult {
  const result = root(parseXmlDocument(xml), 'UpdateJobPriorityResult');
  return { jobId: required(result, 'JobId', 'UpdateJobPriorityResult'), priority: count(result, 'Priority') };
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/**
 * An error answer as a CosError. Bodies that are not a COS `<Error>` document (HTML from a gateway,
 * truncated XML, nothing) become `InvalidResponse` with the status and the start of the body.
 * The request id comes from the body, else from the `x-cos-request-id` header. `xml` must be the whole
 * body as received, so the result is marked `completeAnswer`.
 */
export function parseCosError(
  xml: string,
  httpStatus: number,
  headers: ResponseHeaders,
  api?: CosApiName,
): CosError {
  const headerRequestId = headerValue(headers, 'x-cos-request-id');
  const headerTraceId = headerValue(headers, 'x-cos-trace-id');
  const context = {
    httpStatus,
    ...optional('api', api),
    ...optional('requestId', headerRequestId),
    ...optional('traceId', headerTraceId),
  };
  let error: unknown;
  try {
    const document = parseXmlDocument(xml);
    const body = document.Error;
    const code = token(body, 'Code');
    if (isRecord(body) && code !== undefined) {
      return new CosError({
        ...context,
        completeAnswer: true,
        code,
        message: leaf(body, 'Message') ?? '',
        ...optional('requestId', token(body, 'RequestId') ?? headerRequestId),
        ...optional('traceId', token(body, 'TraceId') ?? headerTraceId),
        ...optional('resource', token(body, 'Resource')),
      });
    }
  } catch (caught) {
    error = caught;
  }
  const why =
    xml.trim() === ''
      ? 'an empty body'
      : error instanceof CosError && /larger than/.test(error.message)
        ? 'a body too large to read'
        : `a body that is not a COS <Error> document, starting ${bodySnippet(xml)}`;
  return new CosError({
    ...context,
    // The status line and the whole body arrived: a gateway's error page is still a finished answer.
    completeAnswer: true,
    code: 'InvalidResponse',
    message: `COS answered HTTP ${httpStatus} with ${why}.`,
    ...optional('cause', error),
  });
}

// ---- Building the CreateJob request ----

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
