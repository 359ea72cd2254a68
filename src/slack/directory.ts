import type { WebClient } from '@slack/web-api';
import type { ApproverDirectory } from '../approvals/ports.js';

/** Approver user groups resolved with usergroups.users.list (scope usergroups:read). */
export class SlackApproverDirectory implements ApproverDirectory {
  constructor(private readonly client: WebClient) {}

  async membersOf(usergroupId: string): Promise<readonly string[]> {
    const result = await this.client.usergroups.users.list({ usergroup: usergroupId });
    return result.users ?? [];
  }
}
