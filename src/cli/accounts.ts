/**
 * The accounts a CLI command acts in: COSJOB_CONFIG's `accounts:`, else the environment's one account
 * (`default`, from COS_*), as `npm start` reads them, with the same rules; and which of them
 * `--account`/`--region` name.
 */
import {
  type AccountConfig,
  type AccountsAndRules,
  type ApprovalConfig,
  type CosConfig,
  readAccountsAndRules,
  readCosConfig,
  readCosEndpoint,
  readWatcherConfig,
  type SettingReader,
  type SettingSource,
} from '../config/index.js';
import type { RuleSet } from '../rules/types.js';
import { UsageError } from './args.js';

export interface CliAccounts {
  accounts: AccountConfig[];
  /** The same rules as the bot: a job's rule says who may act on it and how many must approve. */
  rules: RuleSet;
  endpoint?: string;
}

/** Reads the accounts through `reader` (problems join the reader's; the caller throws them). */
export function readCliAccounts(
  reader: SettingReader,
  source: SettingSource,
  approvals: ApprovalConfig,
): CliAccounts {
  const endpoint = readCosEndpoint(reader);
  let cos: CosConfig | undefined;
  const read: AccountsAndRules = readAccountsAndRules(reader, {
    source,
    approvals,
    watcher: readWatcherConfig(reader),
    cos: () => {
      cos ??= readCosConfig(reader, endpoint);
      return cos;
    },
  });
  return {
    accounts: read.accounts,
    rules: read.rules,
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

/**
 * The account `--account` names, or undefined when it is left out (the command then looks in every
 * account). An unknown name is refused with the configured ones.
 */
export function accountFlag(
  accounts: readonly AccountConfig[],
  name: string | undefined,
): string | undefined {
  if (name === undefined) return accounts.length === 1 ? accounts[0]!.name : undefined;
  if (!accounts.some((a) => a.name === name)) {
    throw new UsageError(
      `--account ${JSON.stringify(name.slice(0, 40))} is not a configured account (configured: ${accounts.map((a) => a.name).join(', ')}).`,
    );
  }
  return name;
}
