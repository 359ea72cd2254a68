/**
 * Where a job's card goes. One function, so every rule about it lives in one place: the job's rule's
 * `channel:` when it names one, else the account's own `channel:` from COSJOB_CONFIG, else the approval
 * channel (SLACK_CHANNEL_ID). CardService asks it once, when the job is announced, and remembers the
 * answer on the job's record.
 */
import type { JobRef } from '../jobs/job-ref.js';
import { channelFor as ruleChannelFor } from '../rules/applied.js';
import type { Rule } from '../rules/types.js';

export interface CardChannels {
  /** SLACK_CHANNEL_ID. */
  approvalChannel: string;
  /** Account name → its `channel:`, for the accounts that set one. */
  accountChannels?: ReadonlyMap<string, string>;
}

export function channelFor(channels: CardChannels, ref: Pick<JobRef, 'account'>, rule: Rule): string {
  return ruleChannelFor(rule, channels.accountChannels?.get(ref.account), channels.approvalChannel);
}
