/**
 * Checked readers for raw Redis replies (`client.call(...)` returns `unknown`).
 *
 * Shapes, as observed with ioredis 6 against Redis 7 (test/audit/resp.test.ts keeps these honest):
 * - RESP2, and RESP3 with ioredis' default 'legacy' mapping: XRANGE → `[[id, [field, value, …]], …]`,
 *   HMGET → `[value | null, …]`, HGETALL → flat `[field, value, …]`, Lua tables → arrays of strings.
 * - RESP3 with `replyMapping: 'resp3'`: map replies (HGETALL, XINFO) arrive as plain objects. XRANGE
 *   entries stay arrays, but the readers below accept an object for a field list too, so a change of
 *   mapping cannot turn into silently wrong data.
 */

export class UnexpectedReplyError extends Error {
  constructor(command: string, expected: string) {
    super(`unexpected reply to ${command}: expected ${expected}`);
    this.name = 'UnexpectedReplyError';
  }
}

/** Strings arrive as strings by default, as Buffers from the *Buffer command variants. */
export function replyString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function replyArray(value: unknown, command: string): unknown[] {
  if (!Array.isArray(value)) throw new UnexpectedReplyError(command, 'an array');
  return value;
}

/** HMGET-style reply: one string or null per requested field. */
export function replyOptionalStrings(value: unknown, command: string, count: number): (string | null)[] {
  const items = replyArray(value, command);
  if (items.length !== count) throw new UnexpectedReplyError(command, `${count} values`);
  return items.map((item) => {
    if (item === null) return null;
    const text = replyString(item);
    if (text === undefined) throw new UnexpectedReplyError(command, 'strings or nil');
    return text;
  });
}

/**
 * Field/value pairs in reply order, from a flat `[f, v, …]` array or an object. Duplicate field names
 * are kept (a Redis stream entry can hold the same field twice); callers decide whether that is valid.
 */
export function replyPairs(value: unknown, command: string): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) {
    return Object.entries(value).map(([field, raw]) => {
      const text = replyString(raw);
      if (text === undefined) throw new UnexpectedReplyError(command, 'string field values');
      return [field, text];
    });
  }
  const items = replyArray(value, command);
  if (items.length % 2 !== 0) throw new UnexpectedReplyError(command, 'an even number of field/value items');
  const pairs: [string, string][] = [];
  for (let i = 0; i < items.length; i += 2) {
    const field = replyString(items[i]);
    const text = replyString(items[i + 1]);
    if (field === undefined || text === undefined) {
      throw new UnexpectedReplyError(command, 'string fields and values');
    }
    pairs.push([field, text]);
  }
  return pairs;
}

export interface StreamRecord {
  id: string;
  fields: [string, string][];
}

const STREAM_ID = /^\d+-\d+$/;

/** XRANGE / XREVRANGE reply. */
export function replyStreamRecords(value: unknown, command: string): StreamRecord[] {
  return replyArray(value, command).map((raw) => {
    const entry = replyArray(raw, command);
    const id = replyString(entry[0]);
    if (entry.length !== 2 || id === undefined || !STREAM_ID.test(id)) {
      throw new UnexpectedReplyError(command, '[id, fields] entries');
    }
    // A deleted entry still referenced by a consumer group comes back with nil fields.
    return { id, fields: entry[1] === null ? [] : replyPairs(entry[1], command) };
  });
}
