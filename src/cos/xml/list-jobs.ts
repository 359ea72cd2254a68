/**
 * ListJobs answers, one member at a time.
 */
import { bodySnippet, CosError, sanitizeServerText } from '../errors.js';
import type { JobSummary, ListJobsBadMember, ListJobsPage } from '../model.js';
import { validateJobId } from '../validation.js';
import { parseOperation, parseProgress } from './describe-job.js';
import { parseXmlDocument } from './document.js';
import { child, count, invalidResponse, leaf, list, optional, required, root, token } from './tree.js';

/** The id goes into Redis keys and request paths, so a listed id must pass the same check as input. */
function listedJobId(node: unknown): string {
  const id = required(node, 'JobId', 'member');
  try {
    return validateJobId(id);
  } catch {
    throw invalidResponse(
      `The listed JobId ${bodySnippet(id, 80)} is not one cosjob can use safely: a COS JobId has at most 64 letters, digits, - and _.`,
    );
  }
}

function parseSummaryNode(node: unknown): JobSummary {
  return {
    id: listedJobId(node),
    status: required(node, 'Status', 'member'),
    priority: count(node, 'Priority'),
    description: leaf(node, 'Description') ?? '',
    ...optional('creationTime', token(node, 'CreationTime')),
    ...optional('terminationDate', token(node, 'TerminationDate')),
    operation: parseOperation(node).rawKind,
    progress: parseProgress(node),
  };
}

/**
 * ListJobs: a missing `<Jobs>`, `<Jobs/>` or whitespace-only `<Jobs>` is an empty page. Members are read
 * one at a time: an unreadable one goes to `badMembers` instead of rejecting the page, so a single odd
 * job cannot block discovery for a whole region. A body that is not a ListJobs document still throws.
 */
export function parseListJobs(xml: string): ListJobsPage {
  const result = root(parseXmlDocument(xml), 'ListJobsResult');
  const jobs: JobSummary[] = [];
  const badMembers: ListJobsBadMember[] = [];
  list(child(result, 'Jobs'), 'member').forEach((node, index) => {
    try {
      jobs.push(parseSummaryNode(node));
    } catch (error) {
      if (!(error instanceof CosError)) throw error;
      const listedId = sanitizeServerText(token(node, 'JobId') ?? '', 80);
      badMembers.push({ index, ...optional('jobId', listedId || undefined), problem: error.message });
    }
  });
  return {
    jobs,
    ...optional('nextToken', token(result, 'NextToken')),
    ...(badMembers.length === 0 ? {} : { badMembers }),
  };
}
