import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { XMLParser } from 'fast-xml-parser';
import { Agent, request } from 'undici';
import { ManualClock } from '../../src/clock.js';
import { cosAuthorization, encodePath, encodeQuery, type KeyTime } from '../../src/cos/signing.js';
import type { CreateJobInput } from '../../tools/cos/create-job-xml.js';
import {
  type EmulatorAccount,
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../../tools/emulator/server.js';

/** Signs and sends real requests to the emulator, as a COS client would (without the COS client). */

export const ACCOUNT: EmulatorAccount = {
  uin: '100000000001',
  appId: '1250000000',
  secretId: 'AKIDemulatorTestKey01',
  secretKey: 'emulator-test-secret-key-01',
};

export const OTHER_ACCOUNT: EmulatorAccount = {
  uin: '200000000002',
  appId: '1260000000',
  secretId: 'AKIDemulatorTestKey02',
  secretKey: 'emulator-test-secret-key-02',
};

export const REGION = 'ap-guangzhou';

export function controlHost(region = REGION, uin = ACCOUNT.uin): string {
  return `${uin}.cos-control.${region}.myqcloud.com`;
}

export interface CosCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Raw, un-encoded path. */
  path: string;
  query?: Record<string, string>;
  body?: string;
  account?: EmulatorAccount;
  /** Host header; default the control host of REGION. */
  host?: string;
  /** x-cos-appid; null leaves it out. */
  appId?: string | null;
  keyTime?: KeyTime;
  /** Extra headers sent and signed. */
  signedHeaders?: Record<string, string>;
  /** Extra headers sent but not signed. */
  unsignedHeaders?: Record<string, string>;
  /** Query parameters sent but left out of the signature. */
  unsignedQuery?: Record<string, string>;
  /** Sign without the host header. */
  skipHostSignature?: boolean;
  /** Rewrites the Authorization value before sending. */
  tamper?: (authorization: string) => string;
  /** Signs this path instead of `path` (a client that signs the wrong thing). */
  signedPath?: string;
  /** Aborts the request (client-side timeout). */
  signal?: AbortSignal;
  /** Raw wire query string appended instead of the encoded `query`. */
  rawQuery?: string;
}

export interface CosReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface Harness {
  emulator: RunningEmulator;
  clock: ManualClock;
  agent: Agent;
  call(call: CosCall): Promise<CosReply>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const clock =
    options.clock instanceof ManualClock ? options.clock : new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const emulator = await startEmulator({ accounts: [ACCOUNT, OTHER_ACCOUNT], clock, ...options });
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 });
  const call = (c: CosCall) => sendCall(emulator.url, agent, clock, c);
  return {
    emulator,
    clock,
    agent,
    call,
    async close() {
      await emulator.close();
      await agent.close();
    },
  };
}

export async function sendCall(
  baseUrl: string,
  agent: Agent,
  clock: { now(): number },
  c: CosCall,
): Promise<CosReply> {
  const account = c.account ?? ACCOUNT;
  const host = c.host ?? controlHost(REGION, account.uin);
  const query = c.query ?? {};
  const signed: Record<string, string> = { ...(c.signedHeaders ?? {}) };
  if (!c.skipHostSignature) signed.host = host;
  if (c.appId !== null) signed['x-cos-appid'] = c.appId ?? account.appId;
  const nowSeconds = Math.floor(clock.now() / 1000);
  const keyTime = c.keyTime ?? { start: nowSeconds - 1, end: nowSeconds + 600 };
  let authorization = cosAuthorization(
    { method: c.method, path: c.signedPath ?? c.path, query, headers: signed },
    account,
    keyTime,
  );
  if (c.tamper) authorization = c.tamper(authorization);
  const headers: Record<string, string> = { ...signed, ...(c.unsignedHeaders ?? {}), host, authorization };
  if (c.appId === null) delete headers['x-cos-appid'];
  if (c.body !== undefined) headers['content-type'] = 'application/xml';
  const wireQuery =
    c.rawQuery !== undefined ? c.rawQuery : encodeQuery({ ...query, ...(c.unsignedQuery ?? {}) });
  const response = await request(`${baseUrl}${encodePath(c.path)}${wireQuery}`, {
    method: c.method,
    headers,
    ...(c.body !== undefined ? { body: c.body } : {}),
    ...(c.signal ? { signal: c.signal } : {}),
    dispatcher: agent,
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    text: await response.body.text(),
  };
}

const LIST_PATHS = new Set([
  'ListJobsResult.Jobs.member',
  'DescribeJobResult.Job.FailureReasons.JobFailure',
  'DescribeJobResult.Job.Manifest.Spec.Fields.member',
  'DescribeJobResult.Job.Operation.COSPutObjectTagging.TagSet.COSTag',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: false,
  isArray: (_name, jPath) => LIST_PATHS.has(String(jPath)),
});

// biome-ignore lint/suspicious/noExplicitAny: tests read parsed XML by path; the shape is asserted, not trusted
export type XmlTree = Record<string, any>;

export function parseXml(text: string): XmlTree {
  return parser.parse(text) as XmlTree;
}

export function errorOf(reply: CosReply): { code: string; message: string; requestId: string } {
  const tree = parseXml(reply.text);
  return { code: tree.Error?.Code, message: tree.Error?.Message, requestId: tree.Error?.RequestId };
}

export function jobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    clientRequestToken: `token-${Math.random().toString(36).slice(2)}`,
    confirmationRequired: true,
    description: 'copy images',
    priority: 10,
    roleArn: `qcs::cam::uin/${ACCOUNT.uin}:roleName/COS_Batch_QcsRole`,
    manifest: {
      objectArn: `qcs::cos:${REGION}:uid/${ACCOUNT.appId}:src-${ACCOUNT.appId}/manifests/m.csv`,
      etag: '15150651828fa9cdcb8356b6d1c7638b',
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: `qcs::cos:${REGION}:uid/${ACCOUNT.appId}:dst-${ACCOUNT.appId}`,
    },
    ...overrides,
  };
}

export const CREATE_JOB_XML = (token: string, confirmation = true) => `<?xml version="1.0" encoding="UTF-8"?>
<CreateJobRequest>
  <ClientRequestToken>${token}</ClientRequestToken>
  <ConfirmationRequired>${confirmation}</ConfirmationRequired>
  <Description>Copy &amp; archive &lt;2025&gt;</Description>
  <Manifest>
    <Location>
      <ETag>15150651828fa9cdcb8356b6d1c7638b</ETag>
      <ObjectArn>qcs::cos:ap-guangzhou:uid/1250000000:sourcebucket-1250000000/manifests/batch-copy-manifest.csv</ObjectArn>
    </Location>
    <Spec>
      <Fields><member>Bucket</member><member>Key</member></Fields>
      <Format>COSBatchOperations_CSV_V1</Format>
    </Spec>
  </Manifest>
  <Operation>
    <COSPutObjectCopy>
      <TargetResource>qcs::cos:ap-guangzhou:uid/1250000000:destinationbucket-1250000000</TargetResource>
      <MetadataDirective>Copy</MetadataDirective>
    </COSPutObjectCopy>
  </Operation>
  <Priority>7</Priority>
  <Report>
    <Bucket>qcs::cos:ap-guangzhou:uid/1250000000:sourcebucket-1250000000</Bucket>
    <Enabled>true</Enabled>
    <Format>Report_CSV_V1</Format>
    <Prefix>job-result</Prefix>
    <ReportScope>AllTasks</ReportScope>
  </Report>
  <RoleArn>qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole</RoleArn>
</CreateJobRequest>`;

/** `npm run emulator` as a child process (tools/emulator/main.ts through tsx). */
export interface EmulatorProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function spawnEmulatorProcess(args: string[], env: NodeJS.ProcessEnv): EmulatorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/emulator/main.ts', ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for the COS_ENDPOINT line the emulator prints once it listens. */
export function endpointOf(emulator: EmulatorProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL printed; stderr: ${emulator.stderr()}`)),
      timeoutMs,
    );
    const check = () => {
      const match = /COS_ENDPOINT=(http:\/\/127\.0\.0\.1:\d+)/.exec(emulator.stdout());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    emulator.child.stdout.on('data', check);
    emulator.child.on('exit', () => reject(new Error(`exited early; stderr: ${emulator.stderr()}`)));
    check();
  });
}
