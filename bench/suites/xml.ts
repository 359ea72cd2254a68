/** 2. XML: cosjob's checked, typed parsing against fast-xml-parser's raw parse of the same body. */
import { XMLParser } from 'fast-xml-parser';
import { parseDescribeJob } from '../../src/cos/xml/describe-job.js';
import { parseListJobs } from '../../src/cos/xml/list-jobs.js';
import { xmlBodies } from '../fixtures.js';
import { measure } from '../harness.js';
import type { BenchParams } from '../params.js';
import { type BenchGroup, compare, formatRatio, row } from '../report.js';

/**
 * The raw parse shapes the tree like src/cos/xml.ts does (same list paths, text kept as strings) but
 * skips what cosjob adds: the size/DTD/well-formedness checks, entity decoding and the typed mapping.
 */
const rawParser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  isArray: (tagName, jPath) => String(jPath) === 'ListJobsResult.Jobs.member' || tagName === 'JobFailure',
});

const explain = (what: string) => (r: number) =>
  `${what} costs ${formatRatio(1 / r)} the raw parse: the rest is validation (XMLValidator pass, DTD refusal), ` +
  'entity decoding and mapping to typed objects.';

export async function runXmlBench(params: BenchParams): Promise<BenchGroup> {
  const bodies = xmlBodies(params.listJobsMembers);
  // Sanity: both sides must see the whole body, or the ratio compares different work.
  const described = parseDescribeJob(bodies.describeJob);
  if (described.failureReasons.length !== 3) throw new Error('the DescribeJob body lost its failure reasons');
  const listed = parseListJobs(bodies.listJobs);
  if (listed.jobs.length !== bodies.members) {
    throw new Error(`parseListJobs saw ${listed.jobs.length} of ${bodies.members} members`);
  }

  let sink = 0;
  const describeMapped = row(
    'xml.describeJob.mapped',
    `parseDescribeJob (${(bodies.describeJob.length / 1024).toFixed(1)} KB, 3 failures)`,
    await measure(
      'parseDescribeJob',
      () => {
        sink += parseDescribeJob(bodies.describeJob).failureReasons.length;
      },
      params.micro,
    ),
  );
  const describeRaw = row(
    'xml.describeJob.raw',
    'XMLParser.parse, same DescribeJob body',
    await measure(
      'raw DescribeJob',
      () => {
        sink += Object.keys(rawParser.parse(bodies.describeJob) as object).length;
      },
      params.micro,
    ),
  );
  // parseListJobs answers a page it read moments ago from memory (a few pages are kept): cycling through
  // more distinct bodies than it keeps makes every call a real parse. Each differs in its NextToken only.
  const variants = Array.from({ length: 6 }, (_, i) =>
    bodies.listJobs.replace(/<NextToken>([^<]*)<\/NextToken>|<\/ListJobsResult>/, (_match, token) =>
      token === undefined
        ? `<NextToken>bench${i}</NextToken></ListJobsResult>`
        : `<NextToken>${token}${i}</NextToken>`,
    ),
  );
  if (new Set(variants).size !== variants.length) throw new Error('the ListJobs variants are not distinct');
  let next = 0;
  const listMapped = row(
    'xml.listJobs.mapped',
    `parseListJobs (${bodies.members} members, ${(bodies.listJobs.length / 1024).toFixed(0)} KB)`,
    await measure(
      'parseListJobs',
      () => {
        next = (next + 1) % variants.length;
        sink += parseListJobs(variants[next] as string).jobs.length;
      },
      params.micro,
    ),
  );
  const listRemembered = row(
    'xml.listJobs.remembered',
    'parseListJobs, the same page text again (a poll with nothing new)',
    await measure(
      'parseListJobs remembered',
      () => {
        sink += parseListJobs(bodies.listJobs).jobs.length;
      },
      params.micro,
    ),
  );
  const listRaw = row(
    'xml.listJobs.raw',
    'XMLParser.parse, same ListJobs body',
    await measure(
      'raw ListJobs',
      () => {
        sink += Object.keys(rawParser.parse(bodies.listJobs) as object).length;
      },
      params.micro,
    ),
  );
  if (sink === 0) throw new Error('the XML benchmark produced nothing');
  compare(describeMapped, describeRaw, 'rate', explain('parseDescribeJob'));
  compare(listMapped, listRaw, 'rate', explain('parseListJobs'));
  compare(
    listRemembered,
    listMapped,
    'rate',
    (r) =>
      `a page identical to one read moments ago is answered ${formatRatio(r)} as fast: compared, copied, not parsed.`,
  );
  return {
    id: 'xml',
    title: 'XML responses (src/cos/xml.ts)',
    rows: [describeMapped, describeRaw, listMapped, listRemembered, listRaw],
    notes: [
      "Bodies come from the emulator's renderers; a ListJobs page of 1000 is the API maximum.",
      'Published for comparison (fast-xml-parser v4 charts, 2021): about 13.7k parses/s of a 1.5 KB file.',
    ],
  };
}
