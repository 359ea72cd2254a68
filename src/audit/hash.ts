/**
 * The hash that chains audit entries.
 *
 * Canonical encoding, format version 1 (the `v` field):
 *   Take the entry's stream fields exactly as stored — every field present, known or not — except
 *   `hash`. Every value is a string: seq and jobSeq are decimal without leading zeros, the actor is
 *   stored as actorId/actorName, and an absent optional field is omitted (never stored as ""). Sort the
 *   fields by name (UTF-16 code-unit order; all names are ASCII, so this is byte order) and serialise
 *   them as one JSON object with `JSON.stringify`: no whitespace, strings escaped as ECMAScript does.
 *   Example: {"action":"approved","actorId":"U1",…,"v":"1"}
 *
 * hash = lowercase hex of SHA-256(UTF-8(canonical)), or of HMAC-SHA256(key, UTF-8(canonical)) when an
 * HMAC key is configured. The fields include prevHash (previous entry in the global chain) and
 * jobPrevHash (previous entry of the same job), so one hash binds the entry into both chains. Hashing
 * every stored field, not a fixed list, means a field added to an entry in Redis is detected too.
 *
 * A field name appearing twice cannot be represented and makes the entry malformed.
 */
import { createHash, createHmac } from 'node:crypto';

/** prevHash of the first entry of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

export function canonicalEncoding(fields: Iterable<readonly [string, string]>): string {
  const sorted = [...fields]
    .filter(([name]) => name !== 'hash')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const object: Record<string, string> = {};
  for (const [name, value] of sorted) {
    if (Object.hasOwn(object, name)) throw new Error(`field ${name} appears twice`);
    // defineProperty: a field named __proto__ must become data, not change the prototype.
    Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return JSON.stringify(object);
}

export function sha256Hex(canonical: string): string {
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function hmacSha256Hex(key: string, canonical: string): string {
  return createHmac('sha256', key).update(canonical, 'utf8').digest('hex');
}

/** Hashes entries with or without a key; the key stays inside this object. */
export class EntryHasher {
  readonly keyed: boolean;
  readonly #key: string | undefined;

  constructor(hmacKey?: string) {
    this.#key = hmacKey === '' ? undefined : hmacKey;
    this.keyed = this.#key !== undefined;
  }

  hash(fields: Iterable<readonly [string, string]>): string {
    const canonical = canonicalEncoding(fields);
    return this.#key === undefined ? sha256Hex(canonical) : hmacSha256Hex(this.#key, canonical);
  }

  /** A hint for a mismatching hash: was the entry written, or rewritten, without the HMAC key? */
  explainMismatch(fields: Iterable<readonly [string, string]>, storedHash: string): string {
    if (this.keyed && sha256Hex(canonicalEncoding(fields)) === storedHash) {
      return 'its hash is a plain SHA-256 of its fields, not the HMAC: it was written or recomputed without AUDIT_HMAC_KEY';
    }
    return 'its stored hash does not match its fields';
  }

  /** Keeps the key out of util.inspect, console.log and JSON. */
  toJSON(): { keyed: boolean } {
    return { keyed: this.keyed };
  }
}
