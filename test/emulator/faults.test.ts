import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultInjector, FaultRuleError } from '../../tools/emulator/server.js';
import { type CosCall, errorOf, type Harness, jobInput, parseXml, REGION, startHarness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.store.deleteAll();
  h.emulator.faults.clear();
  h.emulator.stats.reset();
  h.emulator.setHook(undefined);
});

function suspendedJob(): string {
  return h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' }).id;
}

const approve = (id: string): CosCall => ({
  method: 'POST',
  path: `/jobs/${id}/status`,
  query: { requestedJobStatus: 'Ready' },
});

async function transportError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    // undici errors carry a string code; an aborted signal gives a DOMException (numeric code) with a name.
    const { code, name } = error as { code?: unknown; name?: string };
    return typeof code === 'string' ? code : String(name);
  }
  throw new Error('expected the request to fail at the transport level');
}

describe('emulator: fault injection', () => {
  it('latency delays, then answers normally', async () => {
    h.emulator.faults.add({ kind: 'latency', latencyMs: 20, api: 'ListJobs' });
    const reply = await h.call({ method: 'GET', path: '/jobs' });
    expect(reply.status).toBe(200);
    expect(h.emulator.stats.faultsFired).toBe(1);
  });

  it('latency longer than the client waits makes the client time out', async () => {
    h.emulator.faults.add({ kind: 'latency', latencyMs: 5_000, times: 1 });
    const code = await transportError(
      h.call({ method: 'GET', path: '/jobs', signal: AbortSignal.timeout(100) }),
    );
    expect(code).toMatch(/Abort|Timeout/i);
  });

  it('status5xx: 500 InternalError by default, 503 ServiceUnavailable on request; no effect applied', async () => {
    const id = suspendedJob();
    h.emulator.faults.add({ kind: 'status5xx', times: 1 });
    const first = await h.call(approve(id));
    expect(first.status).toBe(500);
    expect(errorOf(first).code).toBe('InternalError');
    expect(first.headers['x-cos-request-id']).toBeTruthy();
    h.emulator.faults.add({ kind: 'status5xx', statusCode: 503, times: 1 });
    const second = await h.call(approve(id));
    expect(second.status).toBe(503);
    expect(errorOf(second).code).toBe('ServiceUnavailable');
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Suspended');
    expect(h.emulator.stats.statusUpdates).toHaveLength(0);
    // The rules expired: the third call goes through.
    expect((await h.call(approve(id))).status).toBe(200);
  });

  it('status5xx afterEffect: the change happens, the caller sees a 500', async () => {
    const id = suspendedJob();
    h.emulator.faults.add({ kind: 'status5xx', afterEffect: true, api: 'UpdateJobStatus' });
    const reply = await h.call(approve(id));
    expect(reply.status).toBe(500);
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Ready');
  });

  it('slowDown: 503 SlowDown', async () => {
    h.emulator.faults.add({ kind: 'slowDown' });
    const reply = await h.call({ method: 'GET', path: '/jobs' });
    expect(reply.status).toBe(503);
    expect(errorOf(reply).code).toBe('SlowDown');
  });

  it('reset: the connection is reset without an answer; afterEffect applies the change first', async () => {
    const untouched = suspendedJob();
    h.emulator.faults.add({ kind: 'reset', times: 1 });
    expect(await transportError(h.call(approve(untouched)))).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    expect(h.emulator.store.getJob(REGION, untouched)?.status).toBe('Suspended');

    const applied = suspendedJob();
    h.emulator.faults.add({ kind: 'reset', afterEffect: true, times: 1 });
    expect(await transportError(h.call(approve(applied)))).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    expect(h.emulator.store.getJob(REGION, applied)?.status).toBe('Ready');
    // The emulator still serves afterwards.
    expect((await h.call({ method: 'GET', path: `/jobs/${applied}` })).status).toBe(200);
  });

  it('hang: never answers (afterEffect applies the change); the client has to give up', async () => {
    const id = suspendedJob();
    h.emulator.faults.add({ kind: 'hang', afterEffect: true, times: 1 });
    const code = await transportError(h.call({ ...approve(id), signal: AbortSignal.timeout(200) }));
    expect(code).toMatch(/Abort|Timeout/i);
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Ready');
  });

  it('malformedXml: 200 with a truncated body; afterEffect truncates the real answer', async () => {
    const id = suspendedJob();
    h.emulator.faults.add({ kind: 'malformedXml', times: 1 });
    const plain = await h.call({ method: 'GET', path: `/jobs/${id}` });
    expect(plain.status).toBe(200);
    expect(XMLValidator.validate(plain.text)).not.toBe(true);

    h.emulator.faults.add({ kind: 'malformedXml', afterEffect: true, times: 1 });
    const applied = await h.call(approve(id));
    expect(applied.status).toBe(200);
    expect(applied.text.startsWith("<?xml version='1.0' encoding='utf-8' ?>\n<UpdateJobStatusResult>")).toBe(
      true,
    );
    expect(XMLValidator.validate(applied.text)).not.toBe(true);
    expect(h.emulator.store.getJob(REGION, id)?.status).toBe('Ready');
  });

  it('htmlError: 502 with an HTML body and no x-cos-request-id (a proxy answered)', async () => {
    h.emulator.faults.add({ kind: 'htmlError' });
    const reply = await h.call({ method: 'GET', path: '/jobs' });
    expect(reply.status).toBe(502);
    expect(reply.headers['content-type']).toBe('text/html');
    expect(reply.text).toContain('<h1>502 Bad Gateway</h1>');
    expect(reply.headers['x-cos-request-id']).toBeUndefined();
  });

  it('rules apply only to the APIs they name', async () => {
    const id = suspendedJob();
    h.emulator.faults.add({ kind: 'status5xx', api: ['UpdateJobStatus', 'CreateJob'] });
    expect((await h.call({ method: 'GET', path: `/jobs/${id}` })).status).toBe(200);
    expect((await h.call({ method: 'GET', path: '/jobs' })).status).toBe(200);
    expect((await h.call(approve(id))).status).toBe(500);
  });

  it('rate-based choices repeat with the same seed and differ across seeds', () => {
    const pattern = (seed: number) => {
      const faults = new FaultInjector(seed);
      faults.add({ kind: 'status5xx', rate: 0.5 });
      return Array.from({ length: 40 }, () => (faults.decide('DescribeJob').failure ? 'x' : '.')).join('');
    };
    const a = pattern(7);
    expect(pattern(7)).toBe(a);
    expect(a).toContain('x');
    expect(a).toContain('.');
    expect(pattern(8)).not.toBe(a);
    // Rate 0 never fires, rate 1 always does.
    const never = new FaultInjector(1);
    never.add({ kind: 'reset', rate: 0 });
    expect(Array.from({ length: 20 }, () => never.decide('ListJobs').failure)).toEqual(
      Array(20).fill(undefined),
    );
  });

  it('the faultSeed option makes HTTP fault choices reproducible', async () => {
    const run = async () => {
      const seeded = await startHarness({ faultSeed: 42 });
      try {
        seeded.emulator.faults.add({ kind: 'slowDown', rate: 0.3 });
        const statuses: number[] = [];
        for (let i = 0; i < 15; i++)
          statuses.push((await seeded.call({ method: 'GET', path: '/jobs' })).status);
        return statuses;
      } finally {
        await seeded.close();
      }
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(200);
  });

  it('refuses rules that cannot mean anything, saying why', () => {
    const faults = new FaultInjector();
    expect(() => faults.add({ kind: 'latency' })).toThrow(FaultRuleError);
    expect(() => faults.add({ kind: 'slowDown', rate: 1.5 })).toThrow(/rate/);
    expect(() => faults.add({ kind: 'slowDown', times: 0 })).toThrow(/times/);
    expect(() => faults.add({ kind: 'htmlError', afterEffect: true })).toThrow(/afterEffect/);
    expect(() => faults.add({ kind: 'status5xx', statusCode: 404 })).toThrow(/500 to 599/);
    expect(() => faults.add({ kind: 'explode' as 'reset' })).toThrow(/unknown fault kind/);
  });

  it('a handle removes its rule and reports what is left', async () => {
    const handle = h.emulator.faults.add({ kind: 'slowDown', times: 3 });
    await h.call({ method: 'GET', path: '/jobs' });
    expect(handle.remaining).toBe(2);
    handle.remove();
    expect((await h.call({ method: 'GET', path: '/jobs' })).status).toBe(200);
  });
});

describe('emulator: close()', () => {
  it('closes promptly with a hanging request and idle keep-alive sockets open', async () => {
    const local = await startHarness();
    local.emulator.faults.add({ kind: 'hang', api: 'ListJobs' });
    expect((await local.call({ method: 'GET', path: '/jobs/x' })).status).toBe(404); // leaves an idle socket
    const hanging = local.call({ method: 'GET', path: '/jobs' });
    hanging.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await local.emulator.close();
    expect(await transportError(hanging)).toMatch(/UND_ERR_SOCKET|ECONNRESET|SocketError/);
    await local.agent.close();
  });

  it('closes while a latency fault is pending, without answering afterwards', async () => {
    const local = await startHarness();
    local.emulator.faults.add({ kind: 'latency', latencyMs: 60_000 });
    const slow = local.call({ method: 'GET', path: '/jobs' });
    slow.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await local.emulator.close();
    expect(await transportError(slow)).toMatch(/UND_ERR_SOCKET|ECONNRESET|SocketError/);
    await local.agent.close();
  });
});

describe('emulator: hook and stats', () => {
  it('the hook runs after the effect and before the response is written', async () => {
    const id = suspendedJob();
    const seen: {
      api: string;
      region: string;
      jobId?: string;
      statusInHook?: string | undefined;
      answered: boolean;
    }[] = [];
    let answered = false;
    h.emulator.setHook(async (ctx) => {
      // Give the response every chance to leak out early; it must not.
      await new Promise((resolve) => setTimeout(resolve, 30));
      seen.push({ ...ctx, statusInHook: h.emulator.store.getJob(REGION, id)?.status, answered });
    });
    const reply = h.call(approve(id)).then((r) => {
      answered = true;
      return r;
    });
    expect((await reply).status).toBe(200);
    expect(seen).toEqual([
      { api: 'UpdateJobStatus', region: REGION, jobId: id, statusInHook: 'Ready', answered: false },
    ]);
  });

  it('the hook also runs for API errors after authentication, but not for rejected credentials', async () => {
    const apis: string[] = [];
    h.emulator.setHook(async (ctx) => {
      apis.push(`${ctx.api}:${ctx.jobId ?? ''}`);
    });
    await h.call({ method: 'GET', path: '/jobs/nope' });
    await h.call({ method: 'GET', path: '/jobs', appId: null });
    expect(apis).toEqual(['DescribeJob:nope']);
  });

  it('a hook that throws is logged and the answer still goes out', async () => {
    h.emulator.setHook(async () => {
      throw new Error('test hook failure');
    });
    expect((await h.call({ method: 'GET', path: '/jobs' })).status).toBe(200);
  });

  it('counts requests per API, including ones that failed', async () => {
    const id = suspendedJob();
    await h.call({ method: 'GET', path: '/jobs' });
    await h.call({ method: 'GET', path: `/jobs/${id}` });
    await h.call({ method: 'GET', path: `/jobs/${id}`, appId: null });
    await h.call({ method: 'POST', path: `/jobs/${id}/priority`, query: { priority: '3' } });
    await h.call(approve(id));
    await h.call({ method: 'GET', path: '/nowhere' });
    expect(h.emulator.stats.requests).toEqual({
      CreateJob: 0,
      DescribeJob: 2,
      ListJobs: 1,
      UpdateJobPriority: 1,
      UpdateJobStatus: 1,
    });
    expect(h.emulator.stats.totalRequests).toBe(5);
    expect(h.emulator.stats.responses).toEqual({
      CreateJob: {},
      DescribeJob: { 200: 1, 400: 1 },
      ListJobs: { 200: 1 },
      UpdateJobPriority: { 200: 1 },
      UpdateJobStatus: { 200: 1 },
    });
    expect(
      parseXml((await h.call({ method: 'GET', path: `/jobs/${id}` })).text).DescribeJobResult.Job.Priority,
    ).toBe('3');
  });
});

describe('emulator: response counts by status code', () => {
  it('counts injected 5xx, SlowDown, resets and HTML answers against the API they hit', async () => {
    const id = suspendedJob();
    h.emulator.faults.add({ api: 'DescribeJob', kind: 'status5xx', statusCode: 503, times: 1 });
    h.emulator.faults.add({ api: 'ListJobs', kind: 'slowDown', times: 1 });
    h.emulator.faults.add({ api: 'UpdateJobStatus', kind: 'reset', times: 1 });
    h.emulator.faults.add({ api: 'UpdateJobPriority', kind: 'htmlError', times: 1 });
    await h.call({ method: 'GET', path: `/jobs/${id}` });
    await h.call({ method: 'GET', path: `/jobs/${id}` });
    await h.call({ method: 'GET', path: '/jobs' });
    expect(await transportError(h.call(approve(id)))).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    await h.call({ method: 'POST', path: `/jobs/${id}/priority`, query: { priority: '1' } });
    await h.call({ method: 'GET', path: `/jobs/missing` });
    const stats = h.emulator.stats;
    expect(stats.responseCount('DescribeJob', 503)).toBe(1);
    expect(stats.responseCount('DescribeJob', 200)).toBe(1);
    expect(stats.responseCount('DescribeJob', 404)).toBe(1);
    expect(stats.responseCount('ListJobs', 503)).toBe(1);
    expect(stats.responseCount('UpdateJobStatus', 'reset')).toBe(1);
    expect(stats.responseCount('UpdateJobPriority', 502)).toBe(1);
    expect(stats.snapshot().responses.ListJobs).toEqual({ 503: 1 });
    stats.reset();
    expect(stats.responseCount('DescribeJob', 200)).toBe(0);
    expect(stats.responses.DescribeJob).toEqual({});
  });
});
