/**
 * A short, stable hash of a rule as applied (its name, match and resolved requirements), recorded with
 * every vote and decision so a later reader can tell whether the rule changed while a job waited. The
 * input is canonical JSON: keys sorted, absent fields left out, approver lists sorted (their order has no
 * meaning), and `source` (where the rule is written) excluded, since moving a rule in the file does not
 * change what it requires.
 */
import { createHash } from 'node:crypto';
import type { Rule } from './types.js';

/** 16 hex characters (64 bits): enough to notice a change, short enough for a card and an audit field. */
export const RULE_HASH_LENGTH = 16;

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function ruleHash(rule: Rule): string {
  const applied = {
    name: rule.name,
    match: rule.match,
    requires: {
      ...rule.requires,
      approvers: {
        users: [...rule.requires.approvers.users].sort(),
        groups: [...rule.requires.approvers.groups].sort(),
      },
    },
  };
  return createHash('sha256').update(canonicalJson(applied)).digest('hex').slice(0, RULE_HASH_LENGTH);
}
