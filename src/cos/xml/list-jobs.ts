/**
 * ListJobs answers, one member at a time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { bodySnippet, CosError, sanitizeServerText } from '../errors.js';
import type { JobSummary, ListJobsBadMember, ListJobsPage } from '../model.js';
import { utf8Length, validateJobId } from '../validation.js';
import { parseOperation, parseProgress } from './describe-job.js';
import { parsePlainOrXmlDocument } from './document.js';
import { MAX_RESPONSE_BYTES } from './response-body.js';
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
 * The last few pages read, by their exact text or bytes. A poll with nothing new brings back byte-identical pages,
 * and parsing a 1,000-member page costs ~60 ms of CPU (two thirds of it fast-xml-parser itself) where
 * comparing it with the kept text costs well under a millisecond. Only the exact same text is answered
 * from here, so every check already passed for it; a page that differs by one byte is parsed afresh.
 * The client's answers are compared by their bytes before any decoding (a buffer compare, no 1.3 MB
 * string per poll). Small: a region lists its waiting jobs in one page or a few, and each entry keeps its
 * text or bytes (≤ 1 MiB).
 */
const REMEMBERED_PAGES = 4;
const remembered: { body: string | Buffer; page: ListJobsPage }[] = [];

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
  const known = rememberedPage(xml);
  if (known) return known;
  return remember(xml, parseListJobsAfresh(xml));
}

/**
 * parseListJobs for the client: the same page, but a large changed page is parsed a slice of members at a
 * time, letting the event loop turn between slices. Parsing a 1,000-member page in one go held the loop
 * ~80 ms (up to ~150 ms under load), stalling every Slack click in flight. Measured on a 522 KB page of
 * 1,000 members: the longest the loop was held went from 34–37 ms to 4–8 ms, for the same CPU (36–45 ms).
 */
export async function parseListJobsYielding(answer: string | ListJobsAnswer): Promise<ListJobsPage> {
  const bytes = typeof answer === 'string' ? undefined : answer.bytes;
  if (bytes) {
    const byBytes = rememberedPage(bytes);
    if (byBytes) return byBytes;
  }
  const xml = typeof answer === 'string' ? answer : answer.body;
  const known = rememberedPage(xml);
  // Found by its text: remembered by its bytes too, so the next identical answer skips the decoding.
  if (known) return bytes ? remember(bytes, known) : known;
  const split = xml.length > SLICED_ABOVE_CHARS ? splitMembers(xml) : undefined;
  let page: ListJobsPage | undefined;
  if (split) {
    try {
      page = await parseSlices(split);
    } catch {
      // Refused in a slice: the one-go parse below refuses it too, with the whole document's message.
      page = undefined;
    }
  }
  const parsed = page ?? parseListJobsAfresh(xml);
  return bytes ? remember(bytes, parsed) : remember(xml, parsed);
}

/** The answer as the client read it: its text, and its bytes when it was read whole. */
export interface ListJobsAnswer {
  readonly body: string;
  readonly bytes?: Buffer | undefined;
}

/** A remembered page with exactly this text (or these bytes), most recent first. */
function rememberedPage(body: string | Buffer): ListJobsPage | undefined {
  const index = remembered.findIndex((entry) =>
    typeof body === 'string'
      ? typeof entry.body === 'string' && entry.body.length === body.length && entry.body === body
      : Buffer.isBuffer(entry.body) && entry.body.length === body.length && entry.body.equals(body),
  );
  if (index < 0) return undefined;
  const [entry] = remembered.splice(index, 1);
  if (!entry) return undefined;
  remembered.unshift(entry);
  return copyPage(entry.page);
}

/**
 * Pages read as bytes are kept as bytes: a 600 KB buffer instead of its 1.3 MB decoded text, copied so the
 * entry never holds on to (or shares) the memory the response was read into.
 */
function remember(body: string | Buffer, page: ListJobsPage): ListJobsPage {
  remembered.unshift({ body: typeof body === 'string' ? body : Buffer.from(body), page: copyPage(page) });
  remembered.length = Math.min(remembered.length, REMEMBERED_PAGES);
  return page;
}

/** Reads members one at a time into `jobs`, or into `badMembers` when unreadable (index counted from `first`). */
function readMembers(
  nodes: readonly unknown[],
  first: number,
  jobs: JobSummary[],
  badMembers: ListJobsBadMember[],
): void {
  nodes.forEach((node, offset) => {
    try {
      jobs.push(parseSummaryNode(node));
    } catch (error) {
      if (!(error instanceof CosError)) throw error;
      const listedId = sanitizeServerText(token(node, 'JobId') ?? '', 80);
      badMembers.push({
        index: first + offset,
        ...optional('jobId', listedId || undefined),
        problem: error.message,
      });
    }
  });
}

function parseListJobsAfresh(xml: string): ListJobsPage {
  const result = root(parsePlainOrXmlDocument(xml), 'ListJobsResult');
  const jobs: JobSummary[] = [];
  const badMembers: ListJobsBadMember[] = [];
  readMembers(list(child(result, 'Jobs'), 'member'), 0, jobs, badMembers);
  return {
    jobs,
    ...optional('nextToken', token(result, 'NextToken')),
    ...(badMembers.length === 0 ? {} : { badMembers }),
  };
}

/** Pages shorter than this (~150 members) are parsed in one go: a few ms, not worth the slicing. */
const SLICED_ABOVE_CHARS = 64 * 1024;
/** ~100 members of ~400 bytes parse in well under 10 ms. */
const MEMBERS_PER_SLICE = 100;

interface SplitPage {
  /** The document with an empty `<Jobs></Jobs>`: root, NextToken and the declaration are checked here. */
  skeleton: string;
  /** Each top-level `<member>…</member>` of `<Jobs>`, as written. */
  members: string[];
}

const MEMBER_TAG = /<(\/?)member(?=[\s/>])[^>]*>/g;

/**
 * Cuts a page into its `<Jobs>` members, or undefined when the text is anything but plain: a BOM, a
 * comment, CDATA or a declaration (`<!`), an oversize body, `<Jobs>` not exactly once, unbalanced member
 * tags, or anything but whitespace between members. Every such page takes the one-go parse, which applies
 * the size cap, DTD refusal, CDATA and well-formedness checks to the whole text. A plain page keeps them
 * too: each slice and the skeleton go through the same parsePlainOrXmlDocument (plain-tree.ts, which
 * builds parseXmlDocument's tree for plain XML; parseXmlDocument itself, with its refusals, for anything
 * else), and the text between them is whitespace only, so the page is well-formed when every piece is.
 * The scanner made a changed 1,000-member page's parse, the longest run of the first poll cycle, several
 * times cheaper (fast-xml-parser was most of a discovery pass's busiest moments in its CPU profile).
 */
function splitMembers(xml: string): SplitPage | undefined {
  if (xml.length > MAX_RESPONSE_BYTES || utf8Length(xml) > MAX_RESPONSE_BYTES) return undefined;
  if (xml.charCodeAt(0) === 0xfeff || xml.includes('<!')) return undefined;
  const open = xml.indexOf('<Jobs>');
  const close = xml.indexOf('</Jobs>');
  if (
    open < 0 ||
    close < open ||
    open !== xml.lastIndexOf('<Jobs>') ||
    close !== xml.lastIndexOf('</Jobs>')
  ) {
    return undefined;
  }
  const innerStart = open + '<Jobs>'.length;
  const inner = xml.slice(innerStart, close);
  const members: string[] = [];
  let depth = 0;
  let memberStart = 0;
  let outsideFrom = 0;
  for (const tag of inner.matchAll(MEMBER_TAG)) {
    const at = tag.index;
    const closing = tag[1] === '/';
    const selfClosing = !closing && tag[0].endsWith('/>');
    if (depth === 0) {
      if (closing || inner.slice(outsideFrom, at).trim() !== '') return undefined;
      if (selfClosing) {
        members.push(tag[0]);
        outsideFrom = at + tag[0].length;
        continue;
      }
      memberStart = at;
    }
    if (selfClosing) continue;
    depth += closing ? -1 : 1;
    if (depth === 0) {
      outsideFrom = at + tag[0].length;
      members.push(inner.slice(memberStart, outsideFrom));
    }
  }
  if (depth !== 0 || inner.slice(outsideFrom).trim() !== '') return undefined;
  return { skeleton: xml.slice(0, innerStart) + xml.slice(close), members };
}

async function parseSlices(split: SplitPage): Promise<ListJobsPage> {
  const result = root(parsePlainOrXmlDocument(split.skeleton), 'ListJobsResult');
  const jobs: JobSummary[] = [];
  const badMembers: ListJobsBadMember[] = [];
  for (let first = 0; first < split.members.length; first += MEMBERS_PER_SLICE) {
    await nextTurn();
    const slice = split.members.slice(first, first + MEMBERS_PER_SLICE).join('');
    const sliceResult = root(
      parsePlainOrXmlDocument(`<ListJobsResult><Jobs>${slice}</Jobs></ListJobsResult>`),
      'ListJobsResult',
    );
    readMembers(list(child(sliceResult, 'Jobs'), 'member'), first, jobs, badMembers);
  }
  return {
    jobs,
    ...optional('nextToken', token(result, 'NextToken')),
    ...(badMembers.length === 0 ? {} : { badMembers }),
  };
}
