/**
 * Where a job's card goes. One function, so every rule about it lives in one place: the account's own
 * `channel:` from COSJOB_CONFIG when it has one, else the approval channel (SLACK_CHANNEL_ID).
 */
import type { JobRef } from '../jobs/job-ref.js';

export interface CardChannels {
  /** SLACK_CHANNEL_ID. */
  approvalChannel: string;
  /** Account name → its `channel:`, for the accounts that set one. */
  accountChannels?: ReadonlyMap<string, string>;
}

export function channelFor(channels: CardChannels, ref: Pick<JobRef, 'account'>): string {
  return channels.accountChannels?.get(ref.account) ?? channels.approvalChannel;
}
