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
 * Every job, page after page. Tencent's ListJobs documentation promises only "no more than maxResults"
 * jobs per page, so a short page is NOT the end: paging goes on while the NextToken is non-empty and new.
 * It stops on an empty page, an absent or empty NextToken, or one seen before; a job listed twice is
 * yielded once; more than `maxPages` pages is an error rather than an endless loop. The Go SDK's sample
 * pages until the token is empty, and its last page may carry the last JobId as the token: asking with
 * it returns an empty page (the end). Whether COS may instead refuse that token is UNCONFIRMED, so after a
 * short page a 400 answer to the follow-up request also ends the listing, with a warning.
 * A member that cannot be read is skipped with a warning and reported to `onBadMember`.
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
  let previousWasShort = false;
  for (let page = 1; ; page++) {
    if (page > maxPages) {
      throw new CosError({
        code: 'TooManyPages',
        api: 'ListJobs',
        message: `Listing jobs in ${source.region} stopped after ${maxPages} pages of ${pageSize}.`,
        retryable: false,
      });
    }
    let result: Awaited<ReturnType<PageSource['listJobs']>>;
    try {
      result = await source.listJobs({
        maxResults: pageSize,
        ...(status === undefined ? {} : { status }),
        ...(nextToken === undefined ? {} : { nextToken }),
      });
    } catch (error) {
      if (!(previousWasShort && error instanceof CosError && error.httpStatus === 400)) throw error;
      settings.logger.warn('ListJobs refused the NextToken of a short last page; taking it as the end', {
        region: source.region,
        page,
        code: error.code,
      });
      return;
    }
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
    if (listed === 0 || token === undefined || token === '') return;
    previousWasShort = listed < pageSize;
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
