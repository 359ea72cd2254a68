import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, jobInput, parseXml, REGION, startHarness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.store.deleteAll();
});

interface Page {
  ids: string[];
  nextToken: string;
}

async function listPage(query: Record<string, string>): Promise<Page> {
  const reply = await h.call({ method: 'GET', path: '/jobs', query });
  expect(reply.status).toBe(200);
  const result = parseXml(reply.text).ListJobsResult;
  const members: { JobId: string }[] = result.Jobs === '' ? [] : (result.Jobs?.member ?? []);
  return { ids: members.map((m) => m.JobId), nextToken: result.NextToken };
}

function seedJobs(count: number, status: 'Suspended' | 'Complete' = 'Suspended'): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(h.emulator.store.createJob(REGION, jobInput(), { status }).id);
  return ids;
}

describe('emulator: ListJobs pagination', () => {
  it('2,500 jobs with maxResults=1000: three pages, NextToken = last JobId, empty on the last page', async () => {
    const all = seedJobs(2_500);
    const first = await listPage({ maxResults: '1000' });
    expect(first.ids).toEqual(all.slice(0, 1000));
    expect(first.nextToken).toBe(all[999]);
    const second = await listPage({ maxResults: '1000', nextToken: first.nextToken });
    expect(second.ids).toEqual(all.slice(1000, 2000));
    expect(second.nextToken).toBe(all[1999]);
    const third = await listPage({ maxResults: '1000', nextToken: second.nextToken });
    expect(third.ids).toEqual(all.slice(2000));
    expect(third.nextToken).toBe('');
  });

  it('default maxResults is 1000; exactly one full page leaves NextToken empty', async () => {
    const all = seedJobs(1_000);
    const page = await listPage({});
    expect(page.ids).toHaveLength(1_000);
    expect(page.ids).toEqual(all);
    expect(page.nextToken).toBe('');
  });

  it('pages stay stable while jobs are added between requests', async () => {
    const before = seedJobs(5);
    const first = await listPage({ maxResults: '2' });
    const added = seedJobs(3);
    const second = await listPage({ maxResults: '2', nextToken: first.nextToken });
    const rest: string[] = [];
    let token = second.nextToken;
    while (token !== '') {
      const page = await listPage({ maxResults: '2', nextToken: token });
      rest.push(...page.ids);
      token = page.nextToken;
    }
    expect([...first.ids, ...second.ids, ...rest]).toEqual([...before, ...added]);
  });

  it('filters by status across pages, skipping other jobs', async () => {
    const suspended: string[] = [];
    for (let i = 0; i < 7; i++) {
      suspended.push(h.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' }).id);
      h.emulator.store.createJob(REGION, jobInput(), { status: 'Complete' });
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await listPage({
        jobStatuses: 'Suspended',
        maxResults: '3',
        ...(token ? { nextToken: token } : {}),
      });
      seen.push(...page.ids);
      token = page.nextToken || undefined;
      pages++;
    } while (token);
    expect(seen).toEqual(suspended);
    expect(pages).toBe(3);
  });
});
