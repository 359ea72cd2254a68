/**
 * The client over real HTTP, against small node:http servers written here so every fault has an exact
 * shape (hang, reset, 5xx, HTML, skew, apply-then-reset).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import {
  type CosClientOptions,
  CosJobsClient,
  closeCosClients,
  createCosClients,
  statusUpdateTookEffect,
} from '../../src/cos/client.js';
import { CosError, CosValidationError } from '../../src/cos/errors.js';
import { computeSignatureParts, parseAuthorization } from '../../src/cos/signing.js';
import { createLogger } from '../../src/logger.js';
import { createJob, updateJobPriority } from '../../tools/cos/test-client.js';

const ACCOUNT = { uin: '100000000001', appId: '1250000000' };
const SECRET_ID = 'AKIDclienttest0000000000000000000000';
const SECRET_KEY = 'client-test-secret-key-b71c0e2d94';
const REGION = 'ap-guangzhou';
const HOST = `${ACCOUNT.uin}.cos-control.${REGION}.myqcloud.com`;
const JOB_ID = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';
const START = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Recorded {
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

type Handler = (req: Recorded, res: ServerResponse, index: number) => void;

interface TestServer {
  url: string;
  requests: Recorded[];
  connections: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const clients: CosJobsClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: Recorded[] = [];
  const state = { connections: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: decodeURIComponent(url.pathname),
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      handler(recorded, res, requests.length - 1);
    });
  });
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

function client(server: TestServer, overrides: Partial<CosClientOptions> = {}): CosJobsClient {
  const created = new CosJobsClient({
    region: REGION,
    ...ACCOUNT,
    credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    endpoint: server.url,
    clock: new ManualClock(START),
    retry: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 5 },
    timeouts: { deadlineMs: 5000 },
    ...overrides,
  });
  clients.push(created);
  return created;
}

function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-cos-request-id': `req-${status}`,
    ...headers,
  });
  res.end(body);
}

function cosError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  xml(
    res,
    status,
    `<?xml version='1.0' encoding='utf-8' ?><Error><Code>${code}</Code><Message>${message}</Message><Resource>/jobs</Resource><RequestId>body-req-${code}</RequestId><TraceId>trace-${code}</TraceId></Error>`,
    headers,
  );
}

function jobXml(status: string, id = JOB_ID): string {
  return `<DescribeJobResult><Job><JobId>${id}</JobId><Status>${status}</Status><Priority>10</Priority><Description>d</Description><Operation><COSPutObjectCopy><TargetResource>t</TargetResource></COSPutObjectCopy></Operation><ProgressSummary><NumberOfTasksFailed>0</NumberOfTasksFailed><NumberOfTasksSucceeded>0</NumberOfTasksSucceeded><TotalNumberOfTasks>5</TotalNumberOfTasks></ProgressSummary></Job></DescribeJobResult>`;
}

function listXml(ids: string[], nextToken: string): string {
  const members = ids
    .map(
      (id) =>
        `<member><JobId>${id}</JobId><Status>Suspended</Status><Priority>1</Priority><Operation>COSPutObjectCopy</Operation></member>`,
    )
    .join('');
  return `<ListJobsResult><Jobs>${members}</Jobs><NextToken>${nextToken}</NextToken></ListJobsResult>`;
}

/** Recomputes the signature from what actually arrived: proves what was signed matches the wire. */
function verifySignature(request: Recorded, secretKey = SECRET_KEY) {
  const auth = parseAuthorization(String(request.headers.authorization));
  expect(auth).toBeDefined();
  const parsed = auth!;
  const signedHeaders: Record<string, string> = {};
  for (const name of parsed.headerList) {
    const value = request.headers[name];
    expect(value, `signed header ${name} must be sent`).toBeDefined();
    signedHeaders[name] = String(value);
  }
  expect([...parsed.urlParamList].sort()).toEqual(
    Object.keys(request.query)
      .map((k) => k.toLowerCase())
      .sort(),
  );
  const parts = computeSignatureParts(
    { method: request.method, path: request.path, query: request.query, headers: signedHeaders },
    { secretId: parsed.secretId, secretKey },
    parsed.keyTime,
  );
  expect(parts.signature).toBe(parsed.signature);
  return parsed;
}

function rawHeaderNames(request: Recorded): string[] {
  return request.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
}

describe('requests on the wire', () => {
  it('sends DescribeJob to the real host name through the endpoint, signed over host and x-cos-appid', async () => {
    const server = await startServer((_req, res) => xml(res, 200, jobXml('Suspended')));
    const job = await client(server).describeJob(JOB_ID);
    expect(job).toMatchObject({ id: JOB_ID, status: 'Suspended', priority: 10 });
    const [request] = server.requests;
    expect(request!.method).toBe('GET');
    expect(request!.url).toBe(`/jobs/${JOB_ID}`);
    expect(request!.headers.host).toBe(HOST);
    expect(request!.headers['x-cos-appid']).toBe(ACCOUNT.appId);
    expect(rawHeaderNames(request!)).not.toContain('content-length');
    const auth = verifySignature(request!);
    expect(auth.secretId).toBe(SECRET_ID);
    expect(auth.headerList).toEqual(['host', 'x-cos-appid']);
    const now = Math.floor(START / 1000);
    expect(auth.keyTime).toEqual({ start: now - 60, end: now + 600 });
  });

  it('sends ListJobs filters as signed query parameters', async () => {
    const server = await startServer((_req, res) => xml(res, 200, listXml(['a', 'b'], 'b')));
    const page = await client(server).listJobs({
      status: 'Suspended',
      maxResults: 2,
      nextToken: 'prev-token',
    });
    expect(page.jobs.map((job) => job.id)).toEqual(['a', 'b']);
    expect(page.nextToken).toBe('b');
    const request = server.requests[0]!;
    expect(request.query).toEqual({ jobStatuses: 'Suspended', maxResults: '2', nextToken: 'prev-token' });
    const auth = verifySignature(request);
    expect([...auth.urlParamList].sort()).toEqual(['jobstatuses', 'maxresults', 'nexttoken']);
  });

  it('sends a bodiless UpdateJobStatus POST with content-length 0 (unsigned) and a %20-encoded reason', async () => {
    const server = await startServer((_req, res) =>
      xml(
        res,
        200,
        `<UpdateJobStatusResult><JobId>${JOB_ID}</JobId><Status>Ready</Status><StatusUpdateReason>approved by ops 中文</StatusUpdateReason></UpdateJobStatusResult>`,
      ),
    );
    const outcome = await client(server, {
      credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY, securityToken: 'sts-token-abcdef' },
    }).updateJobStatus(JOB_ID, 'Ready', 'approved by ops 中文');
    expect(outcome).toEqual({
      kind: 'applied',
      reconciled: false,
      result: {
        jobId: JOB_ID,
        status: 'Ready',
        statusUpdateReason: 'approved by ops 中文',
        requestId: 'req-200',
      },
    });
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toContain('statusUpdateReason=approved%20by%20ops%20%E4%B8%AD%E6%96%87');
    expect(request.url).not.toContain('+');
    expect(request.headers['content-length']).toBe('0');
    expect(request.body).toBe('');
    const auth = verifySignature(request);
    expect(auth.headerList).toEqual(['host', 'x-cos-appid', 'x-cos-security-token']);
    expect(request.headers['x-cos-security-token']).toBe('sts-token-abcdef');
  });

  it('omits an empty statusUpdateReason instead of sending statusUpdateReason=', async () => {
    const server = await startServer((_req, res) =>
      xml(
        res,
        200,
        `<UpdateJobStatusResult><JobId>${JOB_ID}</JobId><Status>Ready</Status></UpdateJobStatusResult>`,
      ),
    );
    await client(server).updateJobStatus(JOB_ID, 'Ready', '');
    expect(server.requests[0]!.query).toEqual({ requestedJobStatus: 'Ready' });
    expect(server.requests[0]!.url).not.toContain('statusUpdateReason');
  });

  it('sends CreateJob with an XML body, signed content-type and content-md5', async () => {
    const server = await startServer((_req, res) =>
      xml(res, 200, '<CreateJobResult><JobId>new-job-1</JobId></CreateJobResult>'),
    );
    const jobId = await createJob(client(server), {
      clientRequestToken: 'tok-1',
      confirmationRequired: true,
      priority: 5,
      roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
      manifest: { objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:b-1250000000/m.csv', etag: '"e"' },
      operation: { kind: 'COSDeleteObject' },
    });
    expect(jobId).toBe('new-job-1');
    const request = server.requests[0]!;
    expect(request.body).toContain('<CreateJobRequest><ClientRequestToken>tok-1</ClientRequestToken>');
    expect(request.headers['content-type']).toBe('application/xml');
    expect(verifySignature(request).headerList).toEqual([
      'content-md5',
      'content-type',
      'host',
      'x-cos-appid',
    ]);
  });

  it('sends UpdateJobPriority with the priority in the query', async () => {
    const server = await startServer((_req, res) =>
      xml(
        res,
        200,
        `<UpdateJobPriorityResult><JobId>${JOB_ID}</JobId><Priority>77</Priority></UpdateJobPriorityResult>`,
      ),
    );
    expect(await updateJobPriority(client(server), JOB_ID, 77)).toEqual({ jobId: JOB_ID, priority: 77 });
    expect(server.requests[0]!.query).toEqual({ priority: '77' });
    verifySignature(server.requests[0]!);
  });

  it('validates input before sending anything', async () => {
    const server = await startServer((_req, res) => xml(res, 200, jobXml('Active')));
    const c = client(server);
    await expect(c.describeJob('../../etc')).rejects.toBeInstanceOf(CosValidationError);
    await expect(c.updateJobStatus(JOB_ID, 'Active' as 'Ready')).rejects.toBeInstanceOf(CosValidationError);
    await expect(c.updateJobStatus(JOB_ID, 'Ready', 'x'.repeat(257))).rejects.toMatchObject({
      field: 'statusUpdateReason',
    });
    await expect(c.listJobs({ maxResults: 0 })).rejects.toMatchObject({ field: 'maxResults' });
    await expect(updateJobPriority(c, JOB_ID, -1)).rejects.toMatchObject({ field: 'priority' });
    expect(server.requests).toHaveLength(0);
    expect(
      () =>
        new CosJobsClient({
          region: 'bad region',
          ...ACCOUNT,
          credentials: { secretId: 'a', secretKey: 'b' },
        }),
    ).toThrow(CosValidationError);
  });
});

describe('retries', () => {
  it('retries a read after 5xx and re-signs each attempt with a fresh key time', async () => {
    const clock = new ManualClock(START);
    const server = await startServer((_req, res, index) => {
      clock.advance(2000); // time passes between attempts
      if (index < 2) cosError(res, 503, 'ServiceUnavailable', 'busy');
      else xml(res, 200, jobXml('Active'));
    });
    const job = await client(server, { clock }).describeJob(JOB_ID);
    expect(job.status).toBe('Active');
    expect(server.requests).toHaveLength(3);
    const auths = server.requests.map((request) => verifySignature(request));
    expect(new Set(auths.map((auth) => auth.signature)).size).toBe(3);
    expect(auths[1]!.keyTime.start).toBeGreaterThan(auths[0]!.keyTime.start);
  });

  it('retries SlowDown and gives up after maxAttempts with the last COS error', async () => {
    const server = await startServer((_req, res) =>
      cosError(res, 503, 'SlowDown', 'Please reduce your request rate'),
    );
    const error = await client(server, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })
      .listJobs()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CosError);
    expect(error).toMatchObject({
      code: 'SlowDown',
      httpStatus: 503,
      requestId: 'body-req-SlowDown',
      api: 'ListJobs',
    });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 4xx', async () => {
    const server = await startServer((_req, res) =>
      cosError(res, 404, 'NoSuchJob', 'The specified job does not exist'),
    );
    const error = (await client(server)
      .describeJob(JOB_ID)
      .catch((e: unknown) => e)) as CosError;
    expect(error).toMatchObject({
      code: 'NoSuchJob',
      httpStatus: 404,
      requestId: 'body-req-NoSuchJob',
      traceId: 'trace-NoSuchJob',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries after a connection reset, then succeeds', async () => {
    const server = await startServer((_req, res, index) => {
      if (index === 0) res.socket?.destroy();
      else xml(res, 200, jobXml('Active'));
    });
    expect((await client(server).describeJob(JOB_ID)).status).toBe('Active');
    expect(server.requests).toHaveLength(2);
  });

  it('reports repeated resets as NetworkError', async () => {
    const server = await startServer((_req, res) => res.socket?.destroy());
    const error = await client(server, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } })
      .describeJob(JOB_ID)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NetworkError', retryable: true, mayHaveReachedServer: true });
    expect(server.requests).toHaveLength(2);
  });

  it('ends a hanging request at the deadline with a Timeout error', async () => {
    const server = await startServer(() => {
      /* never answers */
    });
    const error = (await client(server, { timeouts: { deadlineMs: 300, headersMs: 60_000 } })
      .describeJob(JOB_ID)
      .catch((e: unknown) => e)) as CosError;
    expect(error).toBeInstanceOf(CosError);
    expect(error.code).toBe('Timeout');
    expect(error.message).toMatch(/300 ms deadline/);
    expect(server.requests).toHaveLength(1);
  });

  it('ends the backoff between attempts at the deadline instead of sleeping it out', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>');
    });
    const started = performance.now();
    const error = await client(server, {
      timeouts: { deadlineMs: 300 },
      retry: { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      random: () => 1,
    })
      .describeJob(JOB_ID)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout' });
    expect((error as CosError).message).toMatch(/300 ms deadline/);
    expect(server.requests).toHaveLength(1);
    // The backoff asked for a minute; the call ended with its deadline.
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('retries after a headers timeout until maxAttempts', async () => {
    const server = await startServer(() => {
      /* never answers */
    });
    const error = await client(server, {
      timeouts: { deadlineMs: 20_000, headersMs: 100 },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    })
      .describeJob(JOB_ID)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Timeout' });
    expect((error as CosError).message).toMatch(/no response headers within 100 ms/);
    expect(server.requests).toHaveLength(2);
  });

  it('turns an HTML error page into InvalidResponse with the status and start of the body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
      );
    });
    const error = (await client(server, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } })
      .listJobs()
      .catch((e: unknown) => e)) as CosError;
    expect(error).toMatchObject({ code: 'InvalidResponse', httpStatus: 502, api: 'ListJobs' });
    expect(error.message).toMatch(/HTTP 502.*502 Bad Gateway/);
    expect(server.requests).toHaveLength(2); // a gateway error is transient: the read was retried
  });

  it('does not retry an oversize 200: it would be oversize again', async () => {
    const big = `<ListJobsResult><Jobs>${'<member></member>'.repeat(70_000)}</Jobs></ListJobsResult>`;
    const server = await startServer((req, res) => {
      if (req.query.maxResults === '1') {
        res.writeHead(200, { 'content-type': 'application/xml' }); // chunked: found while streaming
        for (let i = 0; i < 20; i++) res.write(big.slice(0, 100_000));
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(big.length) });
        res.end(big);
      }
    });
    const c = client(server); // 4 attempts allowed
    const announced = (await c.listJobs().catch((e: unknown) => e)) as CosError;
    expect(announced).toMatchObject({ code: 'InvalidResponse', httpStatus: 200, retryable: false });
    expect(announced.message).toMatch(/refuses bodies over/);
    expect(server.requests).toHaveLength(1);
    const streamed = (await c.listJobs({ maxResults: 1 }).catch((e: unknown) => e)) as CosError;
    expect(streamed).toMatchObject({ code: 'InvalidResponse', httpStatus: 200, retryable: false });
    expect(streamed.message).toMatch(/larger than/);
    expect(server.requests).toHaveLength(2);
  });

  it('reads a body alike whether its length is declared or it comes chunked, BOM and multi-byte text kept', async () => {
    const body = `\uFEFF${jobXml('Active').replace('<Description>d</Description>', '<Description>复制 → 归档 &amp; 😀</Description>')}`;
    const bytes = Buffer.from(body, 'utf8');
    const server = await startServer((_req, res, index) => {
      if (index === 0) {
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(bytes.length) });
        res.end(bytes);
        return;
      }
      // Chunked, cut inside the multi-byte characters: the bounded reader joins the bytes before decoding.
      res.writeHead(200, { 'content-type': 'application/xml' });
      const cut = bytes.indexOf(Buffer.from('→')) + 1;
      res.write(bytes.subarray(0, cut));
      res.end(bytes.subarray(cut));
    });
    const c = client(server);
    const declared = await c.describeJob(JOB_ID);
    const chunked = await c.describeJob(JOB_ID);
    expect(declared.description).toBe('复制 → 归档 & 😀');
    expect(chunked).toEqual(declared);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a read whose body ends before its declared length', async () => {
    const server = await startServer((_req, res, index) => {
      const body = jobXml('Active');
      if (index === 0) {
        res.writeHead(200, {
          'content-type': 'application/xml',
          'content-length': String(body.length + 100),
        });
        res.write(body);
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      xml(res, 200, body);
    });
    expect((await client(server).describeJob(JOB_ID)).status).toBe('Active');
    expect(server.requests).toHaveLength(2);
  });

  it('still retries a cut-short 200 on a read', async () => {
    const server = await startServer((_req, res, index) => {
      if (index === 0) xml(res, 200, jobXml('Active').slice(0, 60));
      else xml(res, 200, jobXml('Active'));
    });
    expect((await client(server).describeJob(JOB_ID)).status).toBe('Active');
    expect(server.requests).toHaveLength(2);
  });

  it('refuses an oversize body, announced or streamed', async () => {
    const big = `<ListJobsResult><Jobs>${'<member></member>'.repeat(70_000)}</Jobs></ListJobsResult>`;
    const server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      if (req.query.maxResults === '1') {
        // chunked, no content-length: the limit applies while streaming
        for (let i = 0; i < 20; i++) res.write(big.slice(0, 100_000));
        res.end();
      } else res.end(big);
    });
    const c = client(server, { retry: { maxAttempts: 1 } });
    await expect(c.listJobs()).rejects.toMatchObject({ code: 'InvalidResponse', httpStatus: 200 });
    const streamed = (await c.listJobs({ maxResults: 1 }).catch((e: unknown) => e)) as CosError;
    expect(streamed.code).toBe('InvalidResponse');
    expect(streamed.message).toMatch(/larger than/);
  });
});

describe('clock skew', () => {
  it('corrects the offset from the Date header on RequestTimeTooSkewed and retries once', async () => {
    const serverTime = START + 3_600_000; // COS is an hour ahead
    const server = await startServer((_req, res, index) => {
      if (index === 0) {
        cosError(
          res,
          403,
          'RequestTimeTooSkewed',
          'The difference between the request time and the server time is too large',
          {
            date: new Date(serverTime).toUTCString(),
          },
        );
      } else xml(res, 200, jobXml('Active'));
    });
    const c = client(server);
    expect((await c.describeJob(JOB_ID)).status).toBe('Active');
    expect(server.requests).toHaveLength(2);
    expect(c.clockOffset).toBe(3_600_000);
    const second = verifySignature(server.requests[1]!);
    expect(second.keyTime.start).toBe(Math.floor(serverTime / 1000) - 60);
  });

  it('retries a state change once after AccessDenied "Request has expired", and only once', async () => {
    const server = await startServer((_req, res) =>
      cosError(res, 403, 'AccessDenied', 'Request has expired', {
        date: new Date(START - 7_200_000).toUTCString(),
      }),
    );
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Cancelled', 'stop');
    expect(outcome.kind).toBe('not_applied');
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(server.requests).toHaveLength(2); // a definitive 403 needs no reconciliation
  });

  it('does not retry a skew error without a usable Date header', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml', date: 'not a date' });
      res.end('<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message></Error>');
    });
    await expect(client(server).describeJob(JOB_ID)).rejects.toMatchObject({ code: 'RequestTimeTooSkewed' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('UpdateJobStatus reconciliation', () => {
  /** A COS stand-in with one job whose status the POST changes. */
  async function statefulServer(
    onPost: (res: ServerResponse, apply: () => void) => void,
    initial = 'Suspended',
  ) {
    const job = { status: initial };
    const server = await startServer((req, res) => {
      if (req.method === 'POST') {
        onPost(res, () => {
          job.status = req.query.requestedJobStatus === 'Ready' ? 'Ready' : 'Cancelling';
        });
      } else xml(res, 200, jobXml(job.status));
    });
    return { server, job };
  }

  const posts = (server: TestServer) => server.requests.filter((request) => request.method === 'POST').length;

  it('applies, then the socket resets: reconciled as applied, POST sent exactly once', async () => {
    const { server } = await statefulServer((res, apply) => {
      apply();
      res.socket?.destroy();
    });
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready', 'go');
    expect(outcome).toMatchObject({
      kind: 'applied',
      reconciled: true,
      result: { jobId: JOB_ID, status: 'Ready' },
    });
    expect(posts(server)).toBe(1);
    expect(server.requests.filter((request) => request.method === 'GET')).toHaveLength(1);
  });

  it('a complete 5xx without effect: not_applied with the observed status, POST sent once', async () => {
    const { server } = await statefulServer((res) => cosError(res, 500, 'InternalError', 'oops'));
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome.kind).toBe('not_applied');
    if (outcome.kind !== 'not_applied') throw new Error('unreachable');
    expect(outcome.observedStatus).toBe('Suspended');
    expect(outcome.error).toMatchObject({ code: 'InternalError', httpStatus: 500, completeAnswer: true });
    expect(posts(server)).toBe(1);
  });

  it('a 200 with a cut-short body is reconciled', async () => {
    const { server } = await statefulServer((res, apply) => {
      apply();
      xml(res, 200, '<UpdateJobStatusResult><JobId>x</Job');
    });
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Cancelled', 'no');
    expect(outcome).toMatchObject({ kind: 'applied', reconciled: true, result: { status: 'Cancelling' } });
    expect(posts(server)).toBe(1);
  });

  it('a hang past the deadline is reconciled with a fresh deadline', async () => {
    const { server } = await statefulServer((_res, apply) => {
      apply(); // applied, but the answer never comes
    });
    const outcome = await client(server, {
      timeouts: { deadlineMs: 300, headersMs: 60_000 },
    }).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({ kind: 'applied', reconciled: true });
    expect(posts(server)).toBe(1);
  });

  // After a timeout or a reset COS may still be working on the request: a read-back showing the job
  // unchanged proves nothing, so the outcome stays unknown and the caller keeps its intent.
  it('a hang past the deadline without the change yet is unknown, not not_applied', async () => {
    const { server } = await statefulServer(() => {
      /* neither applies nor answers (yet) */
    });
    const outcome = await client(server, {
      timeouts: { deadlineMs: 300, headersMs: 60_000 },
    }).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'unknown',
      observedStatus: 'Suspended',
      error: { code: 'Timeout' },
    });
    if (outcome.kind !== 'unknown') throw new Error('unreachable');
    expect(outcome.error.message).toMatch(
      /still shows status Suspended.*may still reach COS and take effect/,
    );
    expect(posts(server)).toBe(1);
  });

  it('a headers timeout without the change yet is unknown', async () => {
    const { server } = await statefulServer(() => {});
    const outcome = await client(server, {
      timeouts: { deadlineMs: 5000, headersMs: 150 },
    }).updateJobStatus(JOB_ID, 'Cancelled', 'stop');
    expect(outcome).toMatchObject({
      kind: 'unknown',
      observedStatus: 'Suspended',
      error: { code: 'Timeout' },
    });
    expect(posts(server)).toBe(1);
  });

  it('a reset without the change yet is unknown', async () => {
    const { server } = await statefulServer((res) => res.socket?.destroy());
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'unknown',
      observedStatus: 'Suspended',
      error: { code: 'NetworkError', mayHaveReachedServer: true },
    });
    expect(posts(server)).toBe(1);
  });

  it('a cut-short 200 without the change yet is unknown', async () => {
    const { server } = await statefulServer((res) => xml(res, 200, '<UpdateJobStatusResult><JobId>x</Job'));
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'unknown',
      observedStatus: 'Suspended',
      error: { code: 'InvalidResponse', httpStatus: 200 },
    });
    expect(posts(server)).toBe(1);
  });

  it('a 5xx whose body is cut short is unknown: the answer never completed', async () => {
    const { server } = await statefulServer((res) => {
      res.writeHead(500, { 'content-type': 'application/xml', 'content-length': '500' });
      res.write('<Error><Code>InternalErr');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({ kind: 'unknown', observedStatus: 'Suspended' });
    expect(posts(server)).toBe(1);
  });

  it('a complete gateway error page (HTML 502) is a finished answer: not_applied', async () => {
    const { server } = await statefulServer((res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'not_applied',
      observedStatus: 'Suspended',
      error: { code: 'InvalidResponse', httpStatus: 502, completeAnswer: true },
    });
    expect(posts(server)).toBe(1);
  });

  it('applied late, after the deadline: unknown at first, and the job shows the change later', async () => {
    const { server, job } = await statefulServer((res, apply) => {
      // COS is slow: the change lands after the client has given up and read the job back.
      setTimeout(() => {
        apply();
        if (!res.destroyed) xml(res, 200, '<UpdateJobStatusResult/>');
      }, 600);
    });
    const c = client(server, { timeouts: { deadlineMs: 300, headersMs: 60_000 } });
    const outcome = await c.updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({ kind: 'unknown', observedStatus: 'Suspended' });
    await vi.waitFor(() => expect(job.status).toBe('Ready'), { timeout: 5000, interval: 20 });
    expect((await c.describeJob(JOB_ID)).status).toBe('Ready');
    expect(posts(server)).toBe(1);
  });

  it('unknown when the job cannot be read back either', async () => {
    const server = await startServer((_req, res) => res.socket?.destroy());
    const outcome = await client(server, {
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    }).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome.kind).toBe('unknown');
    if (outcome.kind !== 'unknown') throw new Error('unreachable');
    expect(outcome.error).toBeInstanceOf(CosError);
    expect(outcome.error.message).toMatch(/reading the job back also failed/);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a definitive InvalidRequest is not_applied, with the status COS shows now', async () => {
    const { server } = await statefulServer(
      (res) => cosError(res, 400, 'InvalidRequest', '任务状态变更错误'),
      'Active',
    );
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'not_applied',
      observedStatus: 'Active',
      error: { code: 'InvalidRequest' },
    });
    expect(posts(server)).toBe(1);
  });

  it('a NoSuchJob is not_applied without a read-back', async () => {
    const server = await startServer((_req, res) =>
      cosError(res, 404, 'NoSuchJob', 'job does not exist or is finished'),
    );
    const outcome = await client(server).updateJobStatus(JOB_ID, 'Cancelled');
    expect(outcome).toMatchObject({ kind: 'not_applied', error: { code: 'NoSuchJob', httpStatus: 404 } });
    expect(server.requests).toHaveLength(1);
  });

  it('connection refused is known not to have reached COS: not_applied without a read-back', async () => {
    const server = await startServer(() => {});
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const c = new CosJobsClient({
      region: REGION,
      ...ACCOUNT,
      credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      endpoint: url,
      retry: { maxAttempts: 1 },
    });
    clients.push(c);
    const outcome = await c.updateJobStatus(JOB_ID, 'Ready');
    expect(outcome).toMatchObject({
      kind: 'not_applied',
      error: { code: 'NetworkError', mayHaveReachedServer: false },
    });
  });

  it.each([
    ['Ready', 'Ready', 'applied'],
    ['Ready', 'Active', 'applied'],
    ['Ready', 'Paused', 'applied'],
    ['Ready', 'Complete', 'applied'],
    ['Ready', 'Failed', 'applied'],
    ['Ready', 'Suspended', 'not_applied'],
    ['Ready', 'Preparing', 'not_applied'],
    ['Ready', 'Cancelled', 'not_applied'],
    ['Ready', 'Cancelling', 'not_applied'],
    ['Cancelled', 'Cancelling', 'applied'],
    ['Cancelled', 'Cancelled', 'applied'],
    ['Cancelled', 'Suspended', 'not_applied'],
    ['Cancelled', 'Active', 'not_applied'],
    ['Cancelled', 'Complete', 'not_applied'],
    ['Ready', 'Archived', 'unknown'],
    ['Cancelled', 'Archived', 'unknown'],
  ] as const)('requested %s, observed %s → %s', (requested, observed, verdict) => {
    expect(statusUpdateTookEffect(requested, observed)).toBe(verdict);
  });
});

describe('listAllJobs', () => {
  async function pagedServer(pages: Record<string, { ids: string[]; next: string }>) {
    return startServer((req, res) => {
      const page = pages[req.query.nextToken ?? ''];
      if (page === undefined) cosError(res, 400, 'InvalidArgument', 'nextToken 参数无效');
      else xml(res, 200, listXml(page.ids, page.next));
    });
  }

  async function collect(c: CosJobsClient, options: Parameters<CosJobsClient['listAllJobs']>[0] = {}) {
    const ids: string[] = [];
    for await (const job of c.listAllJobs(options)) ids.push(job.id);
    return ids;
  }

  it('keeps paging after a short page that carries a token, until the page is empty', async () => {
    const server = await pagedServer({
      '': { ids: ['a', 'b'], next: 'b' },
      b: { ids: ['c', 'd'], next: 'd' },
      d: { ids: ['e'], next: 'e' },
      e: { ids: [], next: '' },
    });
    expect(await collect(client(server), { maxResults: 2, status: 'Suspended' })).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(server.requests.map((r) => r.query)).toEqual([
      { jobStatuses: 'Suspended', maxResults: '2' },
      { jobStatuses: 'Suspended', maxResults: '2', nextToken: 'b' },
      { jobStatuses: 'Suspended', maxResults: '2', nextToken: 'd' },
      { jobStatuses: 'Suspended', maxResults: '2', nextToken: 'e' },
    ]);
  });

  it('does not take short pages for the end: 2-job pages under maxResults 1000 are all read', async () => {
    const server = await pagedServer({
      '': { ids: ['a', 'b'], next: 't1' },
      t1: { ids: ['c', 'd'], next: 't2' },
      t2: { ids: ['e', 'f'], next: '' },
    });
    expect(await collect(client(server), { status: 'Suspended' })).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(server.requests).toHaveLength(3);
  });

  it('takes a 400 for the last JobId used as a token after a short page as the end', async () => {
    const server = await pagedServer({ '': { ids: ['a', 'b'], next: 'b' } });
    expect(await collect(client(server), { maxResults: 5 })).toEqual(['a', 'b']);
    expect(server.requests).toHaveLength(2);
  });

  it('a 400 on a full page follow-up is still an error', async () => {
    const server = await pagedServer({ '': { ids: ['a', 'b'], next: 'b' } });
    await expect(collect(client(server), { maxResults: 2 })).rejects.toMatchObject({ httpStatus: 400 });
  });

  it('stops on an empty NextToken and on an empty page', async () => {
    const full = await pagedServer({ '': { ids: ['a', 'b'], next: '' } });
    expect(await collect(client(full), { maxResults: 2 })).toEqual(['a', 'b']);
    expect(full.requests).toHaveLength(1);
    const empty = await pagedServer({ '': { ids: ['a', 'b'], next: 'b' }, b: { ids: [], next: 'b2' } });
    expect(await collect(client(empty), { maxResults: 2 })).toEqual(['a', 'b']);
    expect(empty.requests).toHaveLength(2);
  });

  it('stops when a NextToken repeats, and yields a job listed twice once', async () => {
    const server = await pagedServer({
      '': { ids: ['a', 'b'], next: 'x' },
      x: { ids: ['b', 'c'], next: 'y' },
      y: { ids: ['d', 'e'], next: 'x' },
    });
    expect(await collect(client(server), { maxResults: 2 })).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(server.requests).toHaveLength(3);
  });

  it('skips an unreadable member, reports it, and still treats the page as full', async () => {
    const good = (id: string) =>
      `<member><JobId>${id}</JobId><Status>Suspended</Status><Priority>1</Priority></member>`;
    const server = await startServer((req, res) => {
      if (req.query.nextToken === undefined) {
        // Two members listed, one unreadable: the page is still full, so the listing goes on.
        xml(
          res,
          200,
          `<ListJobsResult><Jobs>${good('a')}<member><JobId>b</JobId><Status>Suspended</Status><Priority>high</Priority></member></Jobs><NextToken>b</NextToken></ListJobsResult>`,
        );
      } else {
        xml(
          res,
          200,
          req.query.nextToken === 'b'
            ? `<ListJobsResult><Jobs><member><JobId>../x</JobId><Status>Suspended</Status></member>${good('c')}</Jobs><NextToken>c</NextToken></ListJobsResult>`
            : '<ListJobsResult><Jobs/><NextToken/></ListJobsResult>',
        );
      }
    });
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    const bad: unknown[] = [];
    const ids: string[] = [];
    for await (const job of client(server, { logger }).listAllJobs({
      maxResults: 2,
      onBadMember: (member) => bad.push(member),
    })) {
      ids.push(job.id);
    }
    expect(ids).toEqual(['a', 'c']);
    expect(server.requests).toHaveLength(3);
    expect(bad).toEqual([
      {
        region: REGION,
        page: 1,
        index: 1,
        jobId: 'b',
        problem: expect.stringMatching(/Priority.*whole number/),
      },
      { region: REGION, page: 2, index: 0, jobId: '../x', problem: expect.stringMatching(/JobId/) },
    ]);
    expect(lines.filter((line) => line.includes('cannot read; skipping'))).toHaveLength(2);
  });

  it('fails with TooManyPages instead of looping forever', async () => {
    let n = 0;
    const server = await startServer((_req, res) => {
      n++;
      xml(res, 200, listXml([`j${n}a`, `j${n}b`], `t${n}`));
    });
    const c = client(server, { maxPages: 5 });
    await expect(collect(c, { maxResults: 2 })).rejects.toMatchObject({ code: 'TooManyPages' });
    expect(server.requests).toHaveLength(5);
  });
});

describe('client sets', () => {
  it('createCosClients shares one keep-alive pool per origin and closes it with the last client', async () => {
    const server = await startServer((req, res) => xml(res, 200, jobXml('Active', req.path.split('/')[2])));
    const set = createCosClients(
      {
        ...ACCOUNT,
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        regions: ['ap-guangzhou', 'ap-shanghai'],
        endpoint: server.url,
      },
      { clock: new ManualClock(START) },
    );
    expect([...set.keys()]).toEqual(['ap-guangzhou', 'ap-shanghai']);
    // undici returns a socket to the pool a moment after the body ends; the pause lets it go idle,
    // so a shared pool reuses it while separate pools would each need their own connection.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    await set.get('ap-guangzhou')!.describeJob('job-a');
    await settle();
    await set.get('ap-shanghai')!.describeJob('job-b');
    await settle();
    await set.get('ap-guangzhou')!.describeJob('job-c');
    expect(server.requests.map((r) => r.headers.host)).toEqual([
      HOST,
      `${ACCOUNT.uin}.cos-control.ap-shanghai.myqcloud.com`,
      HOST,
    ]);
    expect(server.connections).toBe(1);
    await set.get('ap-guangzhou')!.close();
    await set.get('ap-shanghai')!.describeJob('job-d'); // the pool survives while a client uses it
    await closeCosClients(set);
    await expect(set.get('ap-shanghai')!.describeJob('job-e')).rejects.toMatchObject({
      code: 'NetworkError',
    });
  });
});

describe('secrets', () => {
  it('keeps the secret key and signatures out of errors and logs', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const server = await startServer((req, res) =>
      cosError(
        res,
        503,
        'ServiceUnavailable',
        `echo ${String(req.headers.authorization)} key=${SECRET_KEY}`.replace(/&/g, '&amp;'),
      ),
    );
    const error = (await client(server, { logger, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } })
      .describeJob(JOB_ID)
      .catch((e: unknown) => e)) as CosError;
    const signature = parseAuthorization(String(server.requests[0]!.headers.authorization))!.signature;
    const text = [error.message, error.summary, error.explanation, JSON.stringify(error), ...lines].join(
      '\n',
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain(signature);
  });
});
