/**
 * The account a job belongs to, from whatever names the job (a decision request, a job record, a job
 * reference). Until every one of them carries its account, one without it is in the account configured
 * from the environment; this is the one place that says so.
 */
import { DEFAULT_ACCOUNT_NAME } from '../config/accounts.js';

export function accountOf(thing: object): string {
  const account = (thing as { account?: unknown }).account;
  return typeof account === 'string' && account !== '' ? account : DEFAULT_ACCOUNT_NAME;
}
