import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ApproverDirectory } from './ports.js';

export interface PolicyOptions {
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
  directory?: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  /** How long a resolved user-group membership is trusted. */
  cacheTtlMs?: number;
}

export type PolicyVerdict = { allowed: true } | { allowed: false; reason: string };

/** Who may approve or cancel: listed users, and members of listed Slack user groups. */
export class ApprovalPolicy {
  private readonly cache = new Map<string, { members: ReadonlySet<string>; until: number }>();
  private readonly ttl: number;

  constructor(private readonly options: PolicyOptions) {
    this.ttl = options.cacheTtlMs ?? 60_000;
  }

  async check(userId: string): Promise<PolicyVerdict> {
    if (userId === 'system') return { allowed: true };
    if (this.options.approverUserIds.includes(userId)) return { allowed: true };
    let lookupFailed = false;
    for (const groupId of this.options.approverUsergroupIds) {
      try {
        if ((await this.membersOf(groupId)).has(userId)) return { allowed: true };
      } catch (error) {
        lookupFailed = true;
        this.options.logger.warn('could not resolve approver user group', { groupId, error });
      }
    }
    if (lookupFailed) {
      return {
        allowed: false,
        reason:
          'cosjob could not check your approver group membership with Slack just now. Try again in a minute; if it persists, ask an admin to check the bot has the usergroups:read scope.',
      };
    }
    return {
      allowed: false,
      reason:
        'you are not an approver for COS batch jobs. Ask an admin to add you to APPROVER_USER_IDS or to an approver user group.',
    };
  }

  private async membersOf(groupId: string): Promise<ReadonlySet<string>> {
    const now = this.options.clock.now();
    const cached = this.cache.get(groupId);
    if (cached && cached.until > now) return cached.members;
    if (!this.options.directory) return new Set();
    const members = new Set(await this.options.directory.membersOf(groupId));
    this.cache.set(groupId, { members, until: now + this.ttl });
    return members;
  }
}
