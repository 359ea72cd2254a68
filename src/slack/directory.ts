import type { WebClient } from '@slack/web-api';
import type { ApproverDirectory } from '../approvals/ports.js';
import type { AuditActor } from '../audit/types.js';
import type { Logger } from '../logger.js';

/** Approver user groups resolved with usergroups.users.list (scope usergroups:read). */
export class SlackApproverDirectory implements ApproverDirectory {
  constructor(private readonly client: WebClient) {}

  async membersOf(usergroupId: string): Promise<readonly string[]> {
    const result = await this.client.usergroups.users.list({ usergroup: usergroupId });
    return result.users ?? [];
  }
}

/** How long a display name from users.info is reused: a renamed person shows up within minutes. */
export const USER_NAME_TTL_MS = 5 * 60_000;
/** How long a failed look-up is remembered, so a burst of clicks does not become a burst of calls. */
const FAILED_LOOKUP_TTL_MS = 30_000;
const MAX_CACHED_USERS = 2_000;
const MAX_NAME_CHARACTERS = 80;

/** Control characters (C0, DEL, C1) and the bidirectional controls have no place in a name in the audit. */
function printable(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  return !((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069));
}

function cleanName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = Array.from(value).filter(printable).join('').trim();
  return cleaned === '' ? undefined : Array.from(cleaned).slice(0, MAX_NAME_CHARACTERS).join('');
}

/**
 * Who acted, as Slack's directory says (users.info, scope users:read), not as the request claims: the
 * name in a payload is whatever the sender put there. Cached for a few minutes; when Slack cannot say,
 * the actor is recorded by user id alone.
 */
export class SlackUserNames {
  private readonly cache = new Map<string, { name: string | undefined; until: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async actor(userId: string): Promise<AuditActor> {
    return { id: userId, name: (await this.nameOf(userId)) ?? userId };
  }

  private async nameOf(userId: string): Promise<string | undefined> {
    const cached = this.cache.get(userId);
    if (cached && cached.until > this.now()) return cached.name;
    let name: string | undefined;
    let ttl = USER_NAME_TTL_MS;
    try {
      const { user } = await this.client.users.info({ user: userId });
      name = cleanName(user?.profile?.display_name) ?? cleanName(user?.real_name) ?? cleanName(user?.name);
    } catch (error) {
      this.logger.warn('users.info failed; recording the user id only', { userId, error });
      ttl = FAILED_LOOKUP_TTL_MS;
    }
    if (this.cache.size >= MAX_CACHED_USERS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(userId, { name, until: this.now() + ttl });
    return name;
  }
}
