/**
 * The Redis ACL for cosjob's own user: everything it needs on its engine keys, and on the audit keys
 * only reading and appending, so the bot's credentials cannot delete, trim or rename evidence.
 *
 * How it works (Redis ≥ 7.0, tested in test/redis/acl.test.ts against the real server):
 * - Root permissions: `+@all -@dangerous` on the plain keys (`cosjob:*`) and the per-job keys
 *   (`{cosjob:job:*`). `-@dangerous` removes FLUSHALL, FLUSHDB, SWAPDB, KEYS, DEBUG, CONFIG, RESTORE,
 *   MIGRATE…, but NOT DEL, UNLINK, XDEL or XTRIM, so it alone would not protect anything.
 *   INFO and ROLE are dangerous too and are given back: ioredis' ready check sends INFO, and Sentinel
 *   clients check ROLE.
 * - A selector `( … )` for the audit keys (`{cosjob:audit}:*`) allowing only @read commands plus XADD,
 *   HSET (the heads and the entryId index) and EVAL/EVALSHA (the append script). A command is allowed
 *   when the root permissions or one selector allow it for all of its keys, so DEL/UNLINK/XDEL/XTRIM/
 *   RENAME/EXPIRE on an audit key match neither and are refused with NOPERM — also from inside a script,
 *   because Redis checks every redis.call against the user's ACL.
 * - Key patterns are matched against the literal key text: hash-tagged keys start with `{`, so the
 *   pattern is `~{cosjob:audit}:*`. `~cosjob:*` does not cover them.
 *
 * What it cannot do: the bot may still XADD or HSET audit keys directly, so someone holding its password
 * can append forged entries or move a head. The HMAC key (AUDIT_HMAC_KEY, never stored in Redis) is what
 * makes such forgeries fail verification.
 */
import type { KeySpace } from './keys.js';

/** The audit-key commands the bot needs besides @read. */
const AUDIT_WRITE_COMMANDS = ['xadd', 'hset', 'eval', 'evalsha'];

/** Rules for `ACL SETUSER <user> on ><password> <rules…>`. */
export function botAclRules(keys: KeySpace): string[] {
  const patterns = keys.patterns();
  return [
    'resetkeys',
    'resetchannels',
    `~${patterns.plain}`,
    `~${patterns.jobs}`,
    '+@all',
    '-@dangerous',
    '+info',
    '+role',
    `(~${patterns.audit} -@all +@read ${AUDIT_WRITE_COMMANDS.map((c) => `+${c}`).join(' ')})`,
  ];
}

/**
 * The same rules as one shell line for redis-cli, with placeholders for user and password. Everything but
 * plain words is single-quoted: unquoted, `>password` would be a shell redirection and `~cosjob:*` a glob.
 */
export function botAclSetUserCommand(keys: KeySpace, user = 'cosjob', password = '<password>'): string {
  const quote = (rule: string) =>
    /^[A-Za-z0-9@+_-]+$/.test(rule) ? rule : `'${rule.replaceAll("'", `'\\''`)}'`;
  return ['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, ...botAclRules(keys)].map(quote).join(' ');
}
