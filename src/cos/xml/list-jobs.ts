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
 * The last few pages read, by their exact text. A poll with nothing new brings back byte-identical pages,
 * and parsing a 1,000-member page costs ~60 ms of CPU (two thirds of it fast-xml-parser itself) where
 * comparing it with the kept text costs well under a millisecond. Only the exact same text is answered
 * from here, so every check already passed for it; a page that differs by one byte is parsed afresh.
 * Small: a region lists its waiting jobs in one page or a few, and each entry keeps its text (≤ 1 MiB).
 */
const REMEMBERED_PAGES = 4;
const remembered: { xml: string; page: ListJobsPage }[] = [];

/** A copy, so a caller changing what it got cannot change what the next identical page returns. */
function copyPage(page: ListJobsPage): ListJobsPage {
  return {
    jobs: page.jobs.map((job) => ({ ...job, progress: { ...job.progress } })),
    ...optional('nextToken', page.nextToken),
    ...(page.badMembers === undefined ? {} : { badMembers: page.badMembers.map((bad) => ({ ...bad })) }),
  };
}

/**
 * ListJobs: a missing `<Jobs>`, `<Jobs/>` or whitespace-only `<Jobs>` is an empty page. Members are read
 * one at a time: an unreadable one goes to `badMembers` instead of rejecting the page, so a single odd
 * job cannot block discovery for a whole region. A body that is not a ListJobs document still throws.
 */
export function parseListJobs(xml: string): ListJobsPage {
  const index = remembered.findIndex((entry) => entry.xml.length === xml.length && entry.xml === xml);
  if (index >= 0) {
    const [entry] = remembered.splice(index, 1);
    if (entry) {
      remembered.unshift(entry);
      return copyPage(entry.page);
    }
  }
  const page = parseListJobsAfresh(xml);
  remembered.unshift({ xml, page: copyPage(page) });
  remembered.length = Math.min(remembered.length, REMEMBERED_PAGES);
  return page;
}

function parseListJobsAfresh(xml: string): ListJobsPage {
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
