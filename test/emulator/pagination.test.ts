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

async function listPage(query: Record<string, string>, harness: Harness = h): Promise<Page> {
  const reply = await harness.call({ method: 'GET', path: '/jobs', query });
  expect(reply.status).toBe(200);
  const result = parseXml(reply.text).ListJobsResult;
  const members: { JobId: string }[] = result.Jobs === '' ? [] : (result.Jobs?.member ?? []);
  return { ids: members.map((m) => m.JobId), nextToken: String(result.NextToken ?? '') };
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

/** Follows NextToken from the first page until it is empty or repeats; returns every page seen. */
async function walk(harness: Harness, query: Record<string, string>, maxPages = 50): Promise<Page[]> {
  const pages: Page[] = [];
  let token: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await listPage({ ...query, ...(token !== undefined ? { nextToken: token } : {}) }, harness);
    pages.push(page);
    if (page.nextToken === '' || page.nextToken === token) break;
    token = page.nextToken;
  }
  return pages;
}

describe('emulator: short pages (paging.maxJobsPerPage)', () => {
  let short: Harness;
  beforeAll(async () => {
    short = await startHarness({ paging: { maxJobsPerPage: 2 } });
  });
  afterAll(async () => {
    await short.close();
  });
  beforeEach(() => {
    short.emulator.store.deleteAll();
  });

  it('serves 2-job pages although maxResults asks for 1000, each carrying a NextToken while more follow', async () => {
    const waiting: string[] = [];
    for (let i = 0; i < 7; i++) {
      waiting.push(short.emulator.store.createJob(REGION, jobInput(), { status: 'Suspended' }).id);
    }
    const pages = await walk(short, { jobStatuses: 'Suspended', maxResults: '1000' });
    expect(pages.map((p) => p.ids.length)).toEqual([2, 2, 2, 1]);
    // Every short page but the last names its last JobId: a client that stops at a short page misses jobs.
    expect(pages.slice(0, 3).map((p) => p.nextToken)).toEqual([waiting[1], waiting[3], waiting[5]]);
    expect(pages[3]!.nextToken).toBe('');
    expect(pages.flatMap((p) => p.ids)).toEqual(waiting);
  });

  it('a smaller maxResults still wins over the cap', async () => {
    const all: string[] = [];
    for (let i = 0; i < 3; i++) all.push(short.emulator.store.createJob(REGION, jobInput()).id);
    const pages = await walk(short, { maxResults: '1' });
    expect(pages.map((p) => p.ids)).toEqual([[all[0]], [all[1]], [all[2]]]);
  });
});

describe('emulator: NextToken on the last page (paging.lastPageToken = lastJobId)', () => {
  let tokenAtEnd: Harness;
  beforeAll(async () => {
    tokenAtEnd = await startHarness({ paging: { lastPageToken: 'lastJobId' } });
  });
  afterAll(async () => {
    await tokenAtEnd.close();
  });
  beforeEach(() => {
    tokenAtEnd.emulator.store.deleteAll();
  });

  it('the last page carries its last JobId; passing it back gives an empty page with an empty token', async () => {
    const all: string[] = [];
    for (let i = 0; i < 3; i++) all.push(tokenAtEnd.emulator.store.createJob(REGION, jobInput()).id);
    const pages = await walk(tokenAtEnd, { maxResults: '2' });
    expect(pages).toEqual([
      { ids: [all[0], all[1]], nextToken: all[1] },
      { ids: [all[2]], nextToken: all[2] },
      { ids: [], nextToken: '' },
    ]);
  });

  it('an account with no jobs answers one empty page with an empty token', async () => {
    expect(await walk(tokenAtEnd, {})).toEqual([{ ids: [], nextToken: '' }]);
  });
});

describe('emulator: paging options are validated', () => {
  it.each([
    [{ maxJobsPerPage: 0 }, 'maxJobsPerPage'],
    [{ maxJobsPerPage: 1001 }, 'maxJobsPerPage'],
    [{ maxJobsPerPage: 2.5 }, 'maxJobsPerPage'],
    [{ lastPageToken: 'sometimes' as 'empty' }, 'lastPageToken'],
  ])('%o is refused naming %s', async (paging, name) => {
    await expect(startHarness({ paging })).rejects.toThrow(name);
  });
});
