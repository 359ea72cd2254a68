import { hash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JobFailure, KnownJobStatus } from '../../src/cos/model.js';
import { isKnownJobStatus, JOB_STATUSES } from '../../src/cos/model.js';
import type { CreateJobInput } from '../cos/create-job-xml.js';
import type { AccountDirectory, EmulatorAccount } from './auth.js';
import type { PagingOptions } from './options.js';
import type { JobStore } from './store.js';

/**
 * Seed jobs: a readable JSON form for demos and tests. Everything but `operation` has a sensible default
 * built from the account (role ARN, manifest location), so a seed file stays short.
 */
export interface SeedJob {
  id?: string;
  /** Account UIN; defaults to the emulator's first account. */
  uin?: string;
  /** Defaults to the emulator's defaultRegion. */
  region?: string;
  /** Starting status; default New (the lifecycle then runs it). */
  status?: KnownJobStatus;
  description?: string;
  priority?: number;
  /** Default true: a seeded job usually waits for approval. */
  confirmationRequired?: boolean;
  clientRequestToken?: string;
  roleArn?: string;
  manifest?: { objectArn: string; etag: string; format?: string; fields?: string[] };
  operation: CreateJobInput['operation'];
  report?: CreateJobInput['report'];
  totalTasks?: number;
  succeededTasks?: number;
  failedTasks?: number;
  /** Creation time relative to the emulator's start; wins over creationTime. */
  createdMinutesAgo?: number;
  /** ISO 8601 creation time. */
  creationTime?: string;
  statusUpdateReason?: string;
  suspendedCause?: string;
  failureReasons?: JobFailure[];
}

export class SeedError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid emulator seed (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SeedError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: string[] = [];
  constructor(private readonly where: string) {}

  fail(field: string, expected: string): void {
    this.problems.push(`${this.where}: ${field} must be ${expected}`);
  }

  string(obj: Json, field: string, required = false, maxBytes = 1024): string | undefined {
    const value = obj[field];
    if (value === undefined) {
      if (required) this.fail(field, 'present (a string)');
      return undefined;
    }
    if (typeof value !== 'string' || (required && value === '') || Buffer.byteLength(value) > maxBytes) {
      this.fail(field, `a string of at most ${maxBytes} bytes`);
      return undefined;
    }
    return value;
  }

  integer(obj: Json, field: string, min: number, max: number): number | undefined {
    const value = obj[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `a whole number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  boolean(obj: Json, field: string): boolean | undefined {
    const value = obj[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.fail(field, 'true or false');
      return undefined;
    }
    return value;
  }
}

function checkOperation(c: Checker, raw: unknown): CreateJobInput['operation'] | undefined {
  if (!isObject(raw)) {
    c.fail(
      'operation',
      'an object with a kind (COSPutObjectCopy, COSInitiateRestoreObject, COSPutObjectTagging, COSDeleteObject)',
    );
    return undefined;
  }
  switch (raw.kind) {
    case 'COSPutObjectCopy': {
      const targetResource = c.string(raw, 'targetResource', true);
      const storageClass = c.string(raw, 'storageClass');
      const extra = raw.extra;
      if (
        extra !== undefined &&
        !(isObject(extra) && Object.values(extra).every((v) => typeof v === 'string'))
      ) {
        c.fail('operation.extra', 'an object of string values');
      }
      if (targetResource === undefined) return undefined;
      return {
        kind: 'COSPutObjectCopy',
        targetResource,
        ...(storageClass !== undefined ? { storageClass } : {}),
        ...(isObject(extra) ? { extra: extra as Record<string, string> } : {}),
      };
    }
    case 'COSInitiateRestoreObject': {
      const expirationInDays = c.integer(raw, 'expirationInDays', 1, 365);
      const jobTier = raw.jobTier;
      if (jobTier !== 'Bulk' && jobTier !== 'Standard') c.fail('operation.jobTier', 'Bulk or Standard');
      if (expirationInDays === undefined || (jobTier !== 'Bulk' && jobTier !== 'Standard')) {
        if (expirationInDays === undefined) c.fail('operation.expirationInDays', 'present (1 to 365)');
        return undefined;
      }
      return { kind: 'COSInitiateRestoreObject', expirationInDays, jobTier };
    }
    case 'COSPutObjectTagging': {
      const tags = raw.tags;
      if (
        !Array.isArray(tags) ||
        !tags.every(
          (t) => isObject(t) && typeof t.key === 'string' && t.key !== '' && typeof t.value === 'string',
        )
      ) {
        c.fail('operation.tags', 'a list of { "key": string, "value": string }');
        return undefined;
      }
      return {
        kind: 'COSPutObjectTagging',
        tags: tags.map((t) => ({ key: String((t as Json).key), value: String((t as Json).value) })),
      };
    }
    case 'COSDeleteObject':
      return { kind: 'COSDeleteObject' };
    default:
      c.fail(
        'operation.kind',
        'one of COSPutObjectCopy, COSInitiateRestoreObject, COSPutObjectTagging, COSDeleteObject',
      );
      return undefined;
  }
}

function checkJob(raw: unknown, index: number): { job?: SeedJob; problems: string[] } {
  const label =
    isObject(raw) && typeof raw.id === 'string' ? `job #${index + 1} (${raw.id})` : `job #${index + 1}`;
  const c = new Checker(label);
  if (!isObject(raw)) return { problems: [`${label}: must be an object`] };
  const operation = checkOperation(c, raw.operation);
  const status = raw.status;
  if (status !== undefined && (typeof status !== 'string' || !isKnownJobStatus(status))) {
    c.fail('status', `one of ${JOB_STATUSES.join(', ')}`);
  }
  const job: Partial<SeedJob> = {};
  const assign = <K extends keyof SeedJob>(key: K, value: SeedJob[K] | undefined) => {
    if (value !== undefined) job[key] = value;
  };
  assign('id', c.string(raw, 'id', false, 64));
  assign('uin', c.string(raw, 'uin'));
  assign('region', c.string(raw, 'region', false, 40));
  assign('description', c.string(raw, 'description', false, 256));
  assign('priority', c.integer(raw, 'priority', 0, 2_147_483_647));
  assign('confirmationRequired', c.boolean(raw, 'confirmationRequired'));
  assign('clientRequestToken', c.string(raw, 'clientRequestToken', false, 64));
  assign('roleArn', c.string(raw, 'roleArn'));
  assign('totalTasks', c.integer(raw, 'totalTasks', 0, 1_000_000_000));
  assign('succeededTasks', c.integer(raw, 'succeededTasks', 0, 1_000_000_000));
  assign('failedTasks', c.integer(raw, 'failedTasks', 0, 1_000_000_000));
  assign('createdMinutesAgo', c.integer(raw, 'createdMinutesAgo', 0, 60 * 24 * 365));
  assign('statusUpdateReason', c.string(raw, 'statusUpdateReason', false, 256));
  assign('suspendedCause', c.string(raw, 'suspendedCause', false, 1024));
  const creationTime = c.string(raw, 'creationTime');
  if (creationTime !== undefined && Number.isNaN(Date.parse(creationTime))) {
    c.fail('creationTime', 'an ISO 8601 date, e.g. 2026-01-01T09:00:00Z');
  } else {
    assign('creationTime', creationTime);
  }
  if (raw.manifest !== undefined) {
    const m = raw.manifest;
    if (!isObject(m)) {
      c.fail('manifest', 'an object { objectArn, etag, format?, fields? }');
    } else {
      const objectArn = c.string(m, 'objectArn', true);
      const etag = c.string(m, 'etag', true);
      const format = c.string(m, 'format');
      const fields = m.fields;
      if (fields !== undefined && !(Array.isArray(fields) && fields.every((f) => typeof f === 'string'))) {
        c.fail('manifest.fields', 'a list of strings (Bucket, Key, VersionId, Ignore)');
      }
      if (objectArn !== undefined && etag !== undefined) {
        job.manifest = {
          objectArn,
          etag,
          ...(format !== undefined ? { format } : {}),
          ...(Array.isArray(fields) ? { fields: fields as string[] } : {}),
        };
      }
    }
  }
  if (raw.report !== undefined) {
    const r = raw.report;
    if (
      !isObject(r) ||
      typeof r.bucket !== 'string' ||
      typeof r.enabled !== 'boolean' ||
      (r.reportScope !== 'AllTasks' && r.reportScope !== 'FailedTasksOnly') ||
      (r.prefix !== undefined && typeof r.prefix !== 'string')
    ) {
      c.fail(
        'report',
        'an object { bucket: string, enabled: boolean, reportScope: AllTasks|FailedTasksOnly, prefix? }',
      );
    } else {
      job.report = {
        bucket: r.bucket,
        enabled: r.enabled,
        reportScope: r.reportScope,
        ...(typeof r.prefix === 'string' ? { prefix: r.prefix } : {}),
      };
    }
  }
  if (raw.failureReasons !== undefined) {
    const list = raw.failureReasons;
    if (
      !Array.isArray(list) ||
      !list.every((f) => isObject(f) && typeof f.code === 'string' && typeof f.reason === 'string')
    ) {
      c.fail('failureReasons', 'a list of { "code": string, "reason": string }');
    } else {
      job.failureReasons = list.map((f) => ({
        code: String((f as Json).code),
        reason: String((f as Json).reason),
      }));
    }
  }
  if (typeof status === 'string' && isKnownJobStatus(status)) job.status = status;
  if (c.problems.length > 0 || operation === undefined) return { problems: c.problems };
  return { job: { ...job, operation }, problems: [] };
}

/** Validates seed JSON: either a list of jobs or `{ "jobs": [...] }`. Reports every problem at once. */
export function parseSeed(json: unknown, source = 'seed'): SeedJob[] {
  const list = Array.isArray(json) ? json : isObject(json) ? json.jobs : undefined;
  if (!Array.isArray(list))
    throw new SeedError(source, ['expected a list of jobs, or an object { "jobs": [...] }']);
  const jobs: SeedJob[] = [];
  const problems: string[] = [];
  list.forEach((raw, index) => {
    const result = checkJob(raw, index);
    if (result.job) jobs.push(result.job);
    problems.push(...result.problems);
  });
  if (problems.length > 0) throw new SeedError(source, problems);
  return jobs;
}

/**
 * A whole seed file: the jobs, and optionally the accounts the emulator serves (each with its own key
 * pair) and how ListJobs pages. A bare list of jobs, or `{ "jobs": [...] }`, is a document without
 * accounts or paging (the emulator then serves the account it was started with).
 */
export interface SeedDocument {
  jobs: SeedJob[];
  accounts?: EmulatorAccount[];
  paging?: PagingOptions;
}

const ACCOUNT_FIELDS = ['uin', 'appId', 'secretId', 'secretKey'] as const;

function checkAccounts(raw: unknown, problems: string[]): EmulatorAccount[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('accounts must be a non-empty list of { uin, appId, secretId, secretKey }');
    return undefined;
  }
  const accounts: EmulatorAccount[] = [];
  const seen = { uin: new Set<string>(), appId: new Set<string>(), secretId: new Set<string>() };
  raw.forEach((entry, index) => {
    const where = `account #${index + 1}`;
    if (!isObject(entry)) {
      problems.push(`${where}: must be an object { uin, appId, secretId, secretKey }`);
      return;
    }
    const c = new Checker(where);
    const values = ACCOUNT_FIELDS.map((field) => c.string(entry, field, true, 128));
    if (entry.uin !== undefined && !/^\d{1,20}$/.test(String(entry.uin)))
      c.fail('uin', 'digits (the account UIN)');
    if (entry.appId !== undefined && !/^\d{1,20}$/.test(String(entry.appId)))
      c.fail('appId', 'digits (the APPID)');
    const [uin, appId, secretId, secretKey] = values;
    for (const [field, value] of [
      ['uin', uin],
      ['appId', appId],
      ['secretId', secretId],
    ] as const) {
      if (value !== undefined && seen[field].has(value))
        c.fail(field, `unique across accounts (${value} repeats)`);
      if (value !== undefined) seen[field].add(value);
    }
    problems.push(...c.problems);
    if (c.problems.length === 0 && uin && appId && secretId && secretKey) {
      accounts.push({ uin, appId, secretId, secretKey });
    }
  });
  return accounts;
}

function checkPaging(raw: unknown, problems: string[]): PagingOptions | undefined {
  if (!isObject(raw)) {
    problems.push('paging must be an object { maxJobsPerPage?, lastPageToken? }');
    return undefined;
  }
  const c = new Checker('paging');
  const paging: PagingOptions = {};
  const size = c.integer(raw, 'maxJobsPerPage', 1, 1000);
  if (size !== undefined) paging.maxJobsPerPage = size;
  if (raw.lastPageToken !== undefined) {
    if (raw.lastPageToken === 'empty' || raw.lastPageToken === 'lastJobId')
      paging.lastPageToken = raw.lastPageToken;
    else c.fail('lastPageToken', '"empty" or "lastJobId"');
  }
  problems.push(...c.problems);
  return paging;
}

/** Validates a whole seed document; reports every problem (accounts, paging, jobs) at once. */
export function parseSeedDocument(json: unknown, source = 'seed'): SeedDocument {
  const problems: string[] = [];
  let accounts: EmulatorAccount[] | undefined;
  let paging: PagingOptions | undefined;
  if (isObject(json)) {
    if (json.accounts !== undefined) accounts = checkAccounts(json.accounts, problems);
    if (json.paging !== undefined) paging = checkPaging(json.paging, problems);
  }
  let jobs: SeedJob[] = [];
  try {
    jobs = parseSeed(json, source);
  } catch (error) {
    if (!(error instanceof SeedError)) throw error;
    problems.push(...error.problems);
  }
  if (accounts !== undefined) {
    const known = new Set(accounts.map((a) => a.uin));
    jobs.forEach((job, index) => {
      if (job.uin !== undefined && !known.has(job.uin)) {
        problems.push(`job #${index + 1}: uin ${job.uin} is not one of the seed's accounts`);
      }
    });
  }
  if (problems.length > 0) throw new SeedError(source, problems);
  return {
    jobs,
    ...(accounts !== undefined ? { accounts } : {}),
    ...(paging !== undefined ? { paging } : {}),
  };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SeedError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SeedError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
}

/** The jobs of a seed file (its accounts and paging, if any, are ignored: see loadSeedDocument). */
export async function loadSeedFile(path: string): Promise<SeedJob[]> {
  return parseSeed(await readJson(path), path);
}

export async function loadSeedDocument(path: string): Promise<SeedDocument> {
  return parseSeedDocument(await readJson(path), path);
}

export interface SyntheticJobsOptions {
  total: number;
  /** How many of them wait in Suspended, spread evenly through the listing; the rest are Complete. */
  suspended: number;
  region?: string;
  uin?: string;
}

/** Many small jobs for scale tests and the bench (ids synthetic-000001…, in listing order). */
export function syntheticJobs(options: SyntheticJobsOptions): SeedJob[] {
  const { total, suspended } = options;
  if (
    !Number.isInteger(total) ||
    total < 0 ||
    !Number.isInteger(suspended) ||
    suspended < 0 ||
    suspended > total
  ) {
    throw new SeedError('synthetic jobs', [
      `total and suspended must be whole numbers with 0 <= suspended <= total; got ${total} and ${suspended}`,
    ]);
  }
  // One operation object for all: the store derives its XML once per operation object, so 10,000 seed quickly.
  const operation: SeedJob['operation'] = {
    kind: 'COSPutObjectTagging',
    tags: [{ key: 'synthetic', value: 'true' }],
  };
  const jobs: SeedJob[] = [];
  let placed = 0;
  for (let i = 0; i < total; i++) {
    // Job i waits when it crosses the next multiple of total/suspended: an even spread, exactly `suspended` of them.
    const waits = Math.floor(((i + 1) * suspended) / total) > placed;
    if (waits) placed++;
    const id = `synthetic-${String(i + 1).padStart(6, '0')}`;
    jobs.push({
      id,
      status: waits ? 'Suspended' : 'Complete',
      description: waits ? `Synthetic job ${i + 1} waiting for approval` : `Synthetic job ${i + 1}`,
      totalTasks: 10,
      operation,
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.uin !== undefined ? { uin: options.uin } : {}),
    });
  }
  return jobs;
}

export interface SeedContext {
  store: JobStore;
  accounts: AccountDirectory;
  defaultRegion: string;
  /** Emulator-clock milliseconds. */
  now: number;
}

/**
 * Puts seed jobs into the store, in file order (which is also their listing order), and returns how
 * many. Goes straight to the store's insert (no per-job snapshot), so 10,000 jobs seed quickly.
 */
export function applySeed(seed: readonly SeedJob[], context: SeedContext): number {
  seed.forEach((job, index) => {
    const account = job.uin ? context.accounts.uin(job.uin) : context.accounts.first;
    if (account === undefined) {
      throw new SeedError('seed', [
        `job #${index + 1}: uin ${job.uin} is not one of the emulator's accounts`,
      ]);
    }
    const region = job.region ?? context.defaultRegion;
    const name = job.id ?? `seed-${index + 1}`;
    const input: CreateJobInput = {
      clientRequestToken: job.clientRequestToken ?? (job.id ? `seed-${job.id}` : randomUUID()),
      confirmationRequired: job.confirmationRequired ?? true,
      priority: job.priority ?? 10,
      roleArn: job.roleArn ?? `qcs::cam::uin/${account.uin}:roleName/COS_Batch_QcsRole`,
      manifest: job.manifest ?? {
        objectArn: `qcs::cos:${region}:uid/${account.appId}:manifests-${account.appId}/batch/${name}.csv`,
        etag: hash('md5', name),
        format: 'COSBatchOperations_CSV_V1',
        fields: ['Bucket', 'Key'],
      },
      operation: job.operation,
    };
    if (job.description !== undefined) input.description = job.description;
    if (job.report !== undefined) input.report = job.report;
    const createdAtMs =
      job.createdMinutesAgo !== undefined
        ? context.now - job.createdMinutesAgo * 60_000
        : job.creationTime !== undefined
          ? Date.parse(job.creationTime)
          : context.now;
    context.store.insert(account.uin, region, input, {
      createdAtMs,
      ...(job.id !== undefined ? { id: job.id } : {}),
      ...(job.status !== undefined ? { status: job.status } : {}),
      ...(job.totalTasks !== undefined ? { totalTasks: job.totalTasks } : {}),
      ...(job.succeededTasks !== undefined ? { succeededTasks: job.succeededTasks } : {}),
      ...(job.failedTasks !== undefined ? { failedTasks: job.failedTasks } : {}),
      ...(job.statusUpdateReason !== undefined ? { statusUpdateReason: job.statusUpdateReason } : {}),
      ...(job.suspendedCause !== undefined ? { suspendedCause: job.suspendedCause } : {}),
      ...(job.failureReasons !== undefined ? { failureReasons: job.failureReasons } : {}),
    });
  });
  return seed.length;
}
