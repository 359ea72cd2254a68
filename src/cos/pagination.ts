/**
 * Listing every job of a region, page after page, without trusting the server to end the listing.
 */
import type { Logger } from '../logger.js';
import { CosError } from './errors.js';
import type { CosJobsApi, JobSummary, ListAllJobsOptions } from './model.js';
import { describeThrown } from './transport-errors.js';
import { validateJobStatusFilter, validateMaxResults, validateNextToken } from './validation.js';

const DEFAULT_PAGE_SIZE = 1000;

export type PageSource = Pick<CosJobsApi, 'region' | 'listJobs'>;

/**
 * Every job, page after page. Stops on an empty page, a short page, an empty NextToken or one seen
 * before (the end condition is UNCONFIRMED, so all four are honoured); a job listed twice is yielded
 * once; more than `maxPages` pages is an error rather than an endless loop. A member that cannot be
 * read is skipped with a warning and reported to `onBadMember`; it still counts towards the page size.
 */
export async function* listAllJobs(
  source: PageSource,
  options: ListAllJobsOptions,
  settings: { maxPages: number; logger: Logger },
): AsyncGenerator<JobSummary, void, undefined> {
  const pageSize =
    options.maxResults === undefined ? DEFAULT_PAGE_SIZE : validateMaxResults(options.maxResults);
  const status = options.status === undefined ? undefined : validateJobStatusFilter(options.status);
  const maxPages = options.maxPages ?? settings.maxPages;
  const seenTokens = new Set<string>();
  const seenJobs = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 1; ; page++) {
    if (page > maxPages) {
      throw new CosError({
        code: 'TooManyPages',
        api: 'ListJobs',
        message: `Listing jobs in ${source.region} stopped after ${maxPages} pages of ${pageSize}.`,
        retryable: false,
      });
    }
    const result = await source.listJobs({
      maxResults: pageSize,
      ...(status === undefined ? {} : { status }),
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    for (const bad of result.badMembers ?? []) {
      settings.logger.warn('ListJobs listed a job cosjob cannot read; skipping it', {
        region: source.region,
        page,
        index: bad.index,
        jobId: bad.jobId,
        problem: bad.problem,
      });
      options.onBadMember?.({ ...bad, region: source.region, page });
    }
    for (const job of result.jobs) {
      if (seenJobs.has(job.id)) continue;
      seenJobs.add(job.id);
      yield job;
    }
    const token = result.nextToken;
    // Skipped members were still listed: counting them keeps a full page from looking like the last.
    const listed = result.jobs.length + (result.badMembers?.length ?? 0);
    if (listed === 0 || listed < pageSize || token === undefined) return;
    if (seenTokens.has(token)) {
      settings.logger.warn('ListJobs returned a NextToken it returned before; stopping', {
        region: source.region,
        page,
      });
      return;
    }
    try {
      validateNextToken(token);
    } catch (error) {
      throw new CosError({
        code: 'InvalidResponse',
        api: 'ListJobs',
        message: `ListJobs returned a NextToken that cannot be sent back: ${describeThrown(error)}`,
        cause: error,
      });
    }
    seenTokens.add(token);
    nextToken = token;
  }
}
