/**
 * The audit append as one Lua script (a compare-and-set over both chains' heads) and its reply.
 *
 * Lua has no SHA-256 (and the HMAC key must never reach Redis), so the caller computes the hash against
 * the heads it believes current; the script writes only if the global head and the job head still hold
 * that seq and hash, and otherwise returns the current heads to retry with. Every entry's entryId is
 * recorded (entryId → stream id); when the id is already there the script writes nothing and returns the
 * stored entry's id, so a retried append cannot duplicate. All five keys share one hash tag.
 */
import type { RedisClient } from '../redis/connection.js';
import { replyArray, replyString, UnexpectedReplyError } from '../redis/replies.js';
import { RedisScript } from '../redis/scripts.js';
import { HASH_PATTERN } from './hash.js';

const APPEND_SCRIPT = new RedisScript(
  'audit-append',
  5,
  `
-- KEYS: 1 global stream, 2 job stream, 3 global head, 4 job head, 5 entryId index (one hash tag)
-- ARGV: 1 entryId, 2 expected global seq, 3 expected global hash, 4 expected job seq, 5 expected job hash,
--       6 time ms, 7 new hash, 8 new global seq, 9 new job seq, 10.. field/value pairs (hash included)
local existing = redis.call('HGET', KEYS[5], ARGV[1])
if existing then return {'duplicate', existing} end

local genesis = string.rep('0', 64)
local g = redis.call('HMGET', KEYS[3], 'seq', 'hash', 'timeMs')
local j = redis.call('HMGET', KEYS[4], 'seq', 'hash')
local gSeq, gHash, gTime = g[1] or '0', g[2] or genesis, g[3] or '0'
local jSeq, jHash = j[1] or '0', j[2] or genesis

-- A head that is gone while its stream still has entries means someone edited the audit keys; starting a
-- new chain would hide that, so refuse until an operator has looked.
if gSeq == '0' and redis.call('XLEN', KEYS[1]) > 0 then
  return {'conflict', 'the global head is missing but the global stream has entries'}
end
if jSeq == '0' and redis.call('XLEN', KEYS[2]) > 0 then
  return {'conflict', 'the job head is missing but the job stream has entries'}
end
if gSeq ~= ARGV[2] or gHash ~= ARGV[3] or jSeq ~= ARGV[4] or jHash ~= ARGV[5] then
  return {'stale', gSeq, gHash, gTime, jSeq, jHash}
end

local function lastId(key)
  if redis.call('EXISTS', key) == 0 then return 0, 0 end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local ms, n = string.match(info[i + 1], '^(%d+)-(%d+)$')
      return tonumber(ms), tonumber(n)
    end
  end
  return 0, 0
end
local gMs, gN = lastId(KEYS[1])
local jMs, jN = lastId(KEYS[2])
if tonumber(ARGV[6]) < gMs then return {'behind', tostring(gMs)} end
-- Job entries copy global ids, so a job stream ahead of the global one was written by someone else.
if jMs > gMs or (jMs == gMs and jN > gN) then
  return {'conflict', 'the job stream has a newer id than the global stream'}
end

local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], ARGV[6] .. '-*', unpack(fields))
redis.call('XADD', KEYS[2], id, unpack(fields))
redis.call('HSET', KEYS[3], 'seq', ARGV[8], 'hash', ARGV[7], 'streamId', id, 'timeMs', ARGV[6])
redis.call('HSET', KEYS[4], 'seq', ARGV[9], 'hash', ARGV[7], 'streamId', id)
redis.call('HSET', KEYS[5], ARGV[1], id)
return {'ok', id}
`,
);

export interface GlobalHead {
  seq: number;
  hash: string;
  timeMs: number;
}

export interface JobHead {
  seq: number;
  hash: string;
}

export type AppendReply =
  | { kind: 'ok'; streamId: string }
  | { kind: 'duplicate'; streamId: string }
  | { kind: 'stale'; global: GlobalHead; job: JobHead }
  | { kind: 'behind'; lastMs: number }
  | { kind: 'conflict'; detail: string };

/** How the heads' fields are written (by this script), for whoever reads them back. */
export const SEQ_TEXT = /^(0|[1-9]\d{0,15})$/;
const MS_TEXT = /^\d{1,16}$/;
export const STREAM_ID = /^\d+-\d+$/;

function parseSeq(text: string | undefined): number {
  if (text === undefined || !SEQ_TEXT.test(text))
    throw new UnexpectedReplyError('the audit append script', 'a seq');
  return Number(text);
}

function parseHash(text: string | undefined): string {
  if (text === undefined || !HASH_PATTERN.test(text)) {
    throw new UnexpectedReplyError('the audit append script', 'a hash');
  }
  return text;
}

function parseAppendReply(raw: unknown): AppendReply {
  const items = replyArray(raw, 'the audit append script').map(replyString);
  const [kind, a, b, c, d, e] = items;
  switch (kind) {
    case 'ok':
    case 'duplicate':
      if (a === undefined || !STREAM_ID.test(a)) {
        throw new UnexpectedReplyError('the audit append script', 'a stream id');
      }
      return { kind, streamId: a };
    case 'stale':
      if (c === undefined || !MS_TEXT.test(c))
        throw new UnexpectedReplyError('the audit append script', 'a time');
      return {
        kind,
        global: { seq: parseSeq(a), hash: parseHash(b), timeMs: Number(c) },
        job: { seq: parseSeq(d), hash: parseHash(e) },
      };
    case 'behind':
      if (a === undefined || !MS_TEXT.test(a))
        throw new UnexpectedReplyError('the audit append script', 'a time');
      return { kind, lastMs: Number(a) };
    case 'conflict':
      return { kind, detail: a ?? 'unknown conflict' };
    default:
      throw new UnexpectedReplyError('the audit append script', 'ok, duplicate, stale, behind or conflict');
  }
}

/** One compare-and-set: the entry as it would be written after the expected heads. */
export interface AppendAttempt {
  entryId: string;
  expectedGlobal: GlobalHead;
  expectedJob: JobHead;
  timeMs: number;
  /** The new entry's hash, over `fields`. */
  hash: string;
  /** The entry's stream fields without `hash` (the script appends it). */
  fields: readonly [string, string][];
}

/**
 * Runs the script. `keys`: global stream, job stream, global head, job head, entryId index, in that
 * order (one hash tag).
 */
export async function runAppendScript(
  redis: RedisClient,
  keys: readonly [string, string, string, string, string],
  attempt: AppendAttempt,
): Promise<AppendReply> {
  const { expectedGlobal: global, expectedJob: job } = attempt;
  return parseAppendReply(
    await APPEND_SCRIPT.run(redis, keys, [
      attempt.entryId,
      String(global.seq),
      global.hash,
      String(job.seq),
      job.hash,
      String(attempt.timeMs),
      attempt.hash,
      String(global.seq + 1),
      String(job.seq + 1),
      ...attempt.fields.flat(),
      'hash',
      attempt.hash,
    ]),
  );
}
