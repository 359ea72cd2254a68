/** The chain walk on its own, over records built in memory: cases that are awkward to stage in Redis. */
import { describe, expect, it } from 'vitest';
import { entryFields, prepareEntry } from '../../src/audit/codec.js';
import { EntryHasher, GENESIS_HASH } from '../../src/audit/hash.js';
import { GLOBAL_CHAIN, type HeadState, type RecordCursor, walkChain } from '../../src/audit/verify.js';
import type { StreamRecord } from '../../src/redis/replies.js';
import { entry, JOB_A, rehash, START_MS, setField } from './support.js';

const hasher = new EntryHasher();

function buildChain(length: number): StreamRecord[] {
  const records: StreamRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= length; i += 1) {
    const fields = entryFields(prepareEntry(entry(JOB_A, { entryId: `e${i}` })), {
      timeMs: START_MS + i * 1_000,
      seq: i,
      jobSeq: i,
      prevHash,
      jobPrevHash: prevHash,
    });
    const hash = hasher.hash(fields);
    records.push({ id: `${START_MS + i * 1_000}-0`, fields: [...fields, ['hash', hash]] });
    prevHash = hash;
  }
  return records;
}

function cursor(records: StreamRecord[]): RecordCursor {
  const queue = [...records];
  return { next: async () => queue.shift(), peek: async () => queue[0] };
}

function headOf(record: StreamRecord, seq: number): HeadState {
  const hash = record.fields.find(([f]) => f === 'hash')![1];
  return { kind: 'present', seq, hash, streamId: record.id };
}

describe('walkChain', () => {
  it('accepts an empty chain with no head', async () => {
    const result = await walkChain({
      records: cursor([]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: { kind: 'missing' },
      refreshHead: async () => ({ kind: 'missing' }),
    });
    expect(result).toEqual({ ok: true, entries: 0 });
  });

  it('reports an empty stream with a head as truncated', async () => {
    const [first] = buildChain(1);
    const result = await walkChain({
      records: cursor([]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(first!, 1),
      refreshHead: async () => headOf(first!, 1),
    });
    expect(result.problem).toMatchObject({ kind: 'truncated' });
    expect(result.problem!.detail).toMatch(/stream is empty/);
  });

  it('accepts entries appended while verifying, once the re-read head covers them', async () => {
    const records = buildChain(5);
    let refreshed = 0;
    const result = await walkChain({
      records: cursor(records),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(records[2]!, 3), // read before entries 4 and 5 were appended
      refreshHead: async () => {
        refreshed += 1;
        return headOf(records[4]!, 5);
      },
    });
    expect(result).toMatchObject({ ok: true, entries: 5 });
    expect(refreshed).toBe(1);
  });

  it('names the first of two forked entries when the chain continues from the second', async () => {
    // A forged seq 3 with a valid (unkeyed) hash placed before the genuine seq 3.
    const records = buildChain(5);
    const forged = rehash(setField(records[2]!, 'entryId', 'forged'));
    const result = await walkChain({
      records: cursor([
        records[0]!,
        records[1]!,
        { id: `${START_MS + 2_500}-0`, fields: forged.fields },
        ...records.slice(2),
      ]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(records[4]!, 5),
      refreshHead: async () => headOf(records[4]!, 5),
    });
    expect(result).toMatchObject({
      ok: false,
      entries: 2,
      problem: { kind: 'inserted', seq: 3, streamId: `${START_MS + 2_500}-0` },
    });
  });

  it('names the second of two forked entries when the chain continues from the first', async () => {
    const records = buildChain(5);
    const forged = rehash(setField(records[2]!, 'entryId', 'forged'));
    const forgedId = `${START_MS + 3_500}-0`;
    const result = await walkChain({
      records: cursor([...records.slice(0, 3), { id: forgedId, fields: forged.fields }, ...records.slice(3)]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(records[4]!, 5),
      refreshHead: async () => headOf(records[4]!, 5),
    });
    expect(result).toMatchObject({
      ok: false,
      entries: 3,
      problem: { kind: 'inserted', seq: 3, streamId: forgedId },
    });
  });

  it('names a forged first entry that does not start from the genesis hash', async () => {
    const records = buildChain(2);
    const forged = rehash(setField(records[0]!, 'prevHash', 'f'.repeat(64)));
    const result = await walkChain({
      records: cursor([forged, records[1]!]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(records[1]!, 2),
      refreshHead: async () => headOf(records[1]!, 2),
    });
    expect(result.problem).toMatchObject({ kind: 'inserted', seq: 1, streamId: records[0]!.id });
  });

  it('reports a repeated seq as inserted', async () => {
    const records = buildChain(3);
    const copy = { id: `${START_MS + 3_500}-0`, fields: records[1]!.fields };
    const result = await walkChain({
      records: cursor([...records, copy]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(records[2]!, 3),
      refreshHead: async () => headOf(records[2]!, 3),
    });
    expect(result.problem).toMatchObject({ kind: 'inserted', streamId: copy.id });
  });

  it('reports an entry with a duplicated field name as malformed', async () => {
    const records = buildChain(2);
    const doubled = {
      id: records[1]!.id,
      fields: [
        ...records[1]!.fields,
        ['reason', 'x'] as [string, string],
        ['reason', 'y'] as [string, string],
      ],
    };
    const result = await walkChain({
      records: cursor([records[0]!, doubled]),
      spec: GLOBAL_CHAIN,
      hasher,
      head: headOf(records[1]!, 2),
      refreshHead: async () => headOf(records[1]!, 2),
    });
    expect(result.problem).toMatchObject({ kind: 'malformed', streamId: records[1]!.id });
    expect(result.problem!.detail).toMatch(/appears twice/);
  });
});
