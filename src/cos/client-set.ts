/**
 * The COS clients cosjob works with: one per (account, region) pair, each signing with its own account's
 * key. Every job is looked up by its account and region together, so a job of one account is never asked
 * about with another account's key.
 */
import { type AccountRegion, DEFAULT_ACCOUNT_NAME } from '../jobs/job-ref.js';
import type { CosJobsApi } from './model.js';

/** One poll target: an account, one of its regions and the client for that pair. */
export interface AccountRegionClient extends AccountRegion {
  client: CosJobsApi;
}

export class CosClientSet {
  private readonly byAccount = new Map<string, Map<string, CosJobsApi>>();

  constructor(entries: Iterable<AccountRegionClient>) {
    for (const { account, region, client } of entries) {
      let regions = this.byAccount.get(account);
      if (!regions) {
        regions = new Map();
        this.byAccount.set(account, regions);
      }
      if (regions.has(region)) throw new Error(`two COS clients for account ${account}, region ${region}`);
      regions.set(region, client);
    }
  }

  /** The client for this account and region, or undefined when that pair is not configured. */
  get(account: string, region: string): CosJobsApi | undefined {
    return this.byAccount.get(account)?.get(region);
  }

  hasAccount(account: string): boolean {
    return this.byAccount.has(account);
  }

  /** The configured account names, in configuration order. */
  accounts(): string[] {
    return [...this.byAccount.keys()];
  }

  /** The regions configured for one account (none for an unknown account). */
  regionsOf(account: string): string[] {
    return [...(this.byAccount.get(account)?.keys() ?? [])];
  }

  /** Every (account, region) pair with its client, accounts in configuration order. */
  targets(): AccountRegionClient[] {
    return [...this.byAccount].flatMap(([account, regions]) =>
      [...regions].map(([region, client]) => ({ account, region, client })),
    );
  }

  /** Every client, for closing them. */
  clients(): CosJobsApi[] {
    return this.targets().map((t) => t.client);
  }

  get size(): number {
    return this.targets().length;
  }
}

/** The clients of one account, by region (`default` unless named): environment-only setups, tests. */
export function singleAccountClients(
  byRegion: ReadonlyMap<string, CosJobsApi>,
  account: string = DEFAULT_ACCOUNT_NAME,
): CosClientSet {
  return new CosClientSet([...byRegion].map(([region, client]) => ({ account, region, client })));
}
