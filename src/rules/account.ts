/**
 * The account a job belongs to. Until jobs carry their account everywhere, a request or record without
 * one is in the account configured from the environment; this is the one place that says so.
 */
import { DEFAULT_ACCOUNT_NAME } from '../config/accounts.js';

export function accountOf(thing: { account?: string | undefined }): string {
  return thing.account ?? DEFAULT_ACCOUNT_NAME;
}
