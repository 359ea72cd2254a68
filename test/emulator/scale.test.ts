import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJobs } from '../../tools/emulator/server.js';
import { type Harness, parseXml, startHarness } from './helpers.js';

/** The discovery bench's emulator: 10,000 jobs of which 1,000 wait in Suspended (issue 10). */

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: syntheticJobs({ total: 10_000, suspended: 1_000 }) });
});
afterAll(async () => {
  await h.close();
});

async function page(query: Record<string, string>): Promise<{ ids: string[]; nextToken: string }> {
  const reply = await h.call({ method: 'GET', path: '/jobs', query });
  expect(reply.status).toBe(200);
  const result = parseXml(reply.text).ListJobsResult;
  const members: { JobId: string; Status: string }[] = result.Jobs === '' ? [] : result.Jobs.member;
  return { ids: members.map((m) => m.JobId), nextToken: String(result.NextToken ?? '') };
}

describe('emulator at scale', () => {
  it('holds all 10,000 seeded jobs, exactly 1,000 of them Suspended, spread through the listing', () => {
    expect(h.emulator.store.size).toBe(10_000);
    const jobs = h.emulator.store.listJobs('ap-guangzhou');
    const waiting = jobs.filter((j) => j.status === 'Suspended');
    expect(waiting).toHaveLength(1_000);
    expect(jobs.filter((j) => j.status === 'Complete')).toHaveLength(9_000);
    // Even spread: one waiting job in every ten, the first within the first ten.
    expect(jobs.slice(0, 10).filter((j) => j.status === 'Suspended')).toHaveLength(1);
    expect(jobs.slice(-10).filter((j) => j.status === 'Suspended')).toHaveLength(1);
  });

  it('lists the 1,000 waiting jobs in one page of 1,000 with an empty NextToken', async () => {
    const waiting = await page({ jobStatuses: 'Suspended', maxResults: '1000' });
    expect(waiting.ids).toHaveLength(1_000);
    expect(new Set(waiting.ids).size).toBe(1_000);
    expect(waiting.nextToken).toBe('');
  });

  it('pages through all 10,000 in ten pages of 1,000', async () => {
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const next = await page({ maxResults: '1000', ...(token ? { nextToken: token } : {}) });
      seen.push(...next.ids);
      token = next.nextToken;
      pages++;
    } while (token !== '' && pages < 20);
    expect(pages).toBe(10);
    expect(new Set(seen).size).toBe(10_000);
  });

  it('synthetic job counts are checked', () => {
    expect(() => syntheticJobs({ total: 5, suspended: 6 })).toThrow(/suspended/);
    expect(syntheticJobs({ total: 3, suspended: 3 }).every((j) => j.status === 'Suspended')).toBe(true);
    expect(syntheticJobs({ total: 0, suspended: 0 })).toEqual([]);
  });
});
