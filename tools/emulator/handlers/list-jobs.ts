import { isKnownJobStatus } from '../../../src/cos/model.js';
import { invalidArgument } from '../errors.js';
import { MAX_LIST_RESULTS } from '../options.js';
import { renderListJobs } from '../render.js';
import type { ApiHandler } from './context.js';

/**
 * GET /jobs: creation order, oldest first; `jobStatuses` takes one status; maxResults 1 to 1000 (default
 * 1000); nextToken 1 to 64 bytes and must name a job of this account and region.
 */
export const listJobs: ApiHandler = ({ scope, query }, { store, paging }) => {
  const status = query.get('jobStatuses');
  if (status !== undefined && !isKnownJobStatus(status)) {
    throw invalidArgument(
      `jobStatuses is invalid (jobStatuses 参数无效): give one status, e.g. Suspended; got "${status}"`,
    );
  }
  const maxText = query.get('maxResults');
  let maxResults = MAX_LIST_RESULTS;
  if (maxText !== undefined) {
    if (!/^\d{1,4}$/.test(maxText) || Number(maxText) < 1 || Number(maxText) > MAX_LIST_RESULTS) {
      throw invalidArgument(
        `maxResults must be a positive integer from 1 to 1000 (maxResults 参数必须为正整数); got "${maxText}"`,
      );
    }
    maxResults = Number(maxText);
  }
  const nextToken = query.get('nextToken');
  const invalidToken = () =>
    invalidArgument(
      'nextToken is invalid (nextToken 参数无效): pass back the NextToken of the previous page',
    );
  if (nextToken !== undefined && (nextToken === '' || Buffer.byteLength(nextToken) > 64))
    throw invalidToken();
  const page = store.page(scope.uin, scope.region, {
    maxResults: Math.min(maxResults, paging.maxJobsPerPage),
    tokenOnLastPage: paging.tokenOnLastPage,
    ...(status !== undefined ? { status } : {}),
    ...(nextToken !== undefined ? { nextToken } : {}),
  });
  if (page === undefined) throw invalidToken();
  return renderListJobs(page);
};
