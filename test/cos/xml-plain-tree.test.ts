/**
 * The fast DescribeJob reader (src/cos/xml/plain-tree.ts) against the fast-xml-parser path it stands in
 * for: on generated and hostile bodies, parseDescribeJob must give exactly what the fast-xml-parser path
 * gives (the same Job, or a refusal with the same code and message), and whenever the scanner takes a
 * body its tree must equal fast-xml-parser's.
 */
import { describe, expect, it } from 'vitest';
import { CosError } from '../../src/cos/errors.js';
import type { Job } from '../../src/cos/model.js';
import { describeJobFromDocument, parseDescribeJob } from '../../src/cos/xml/describe-job.js';
import { isListPath, parseXmlDocument } from '../../src/cos/xml/document.js';
import { plainXmlTree } from '../../src/cos/xml/plain-tree.js';
import { MAX_RESPONSE_BYTES } from '../../src/cos/xml/response-body.js';
import { renderDescribeJob, renderListJobs } from '../../tools/emulator/render.js';
import { DEFAULT_LIFECYCLE, JobStore } from '../../tools/emulator/server.js';

type Outcome = { job: Job } | { code: string; message: string; retryable: boolean } | { thrown: string };

function outcome(read: () => Job): Outcome {
  try {
    return { job: read() };
  } catch (error) {
    if (error instanceof CosError) {
      return { code: error.code, message: error.message, retryable: error.retryable };
    }
    return { thrown: String(error) };
  }
}

/** Bodies the scanner took, over all comparisons of one test (so a test can show it exercised it). */
let taken = 0;

/** The two paths agree on `xml`; true when the scanner took it. */
function expectSameReading(xml: string): boolean {
  const reference = outcome(() => describeJobFromDocument(parseXmlDocument(xml)));
  const fast = outcome(() => parseDescribeJob(xml));
  expect(fast, JSON.stringify(xml.slice(0, 300))).toEqual(reference);
  const tree = plainXmlTree(xml, isListPath);
  if (tree === undefined) return false;
  expect(tree, JSON.stringify(xml.slice(0, 300))).toEqual(parseXmlDocument(xml));
  taken++;
  return true;
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function emulatorStore(): JobStore {
  return new JobStore({
    now: () => Date.UTC(2026, 0, 2),
    lifecycle: { ...DEFAULT_LIFECYCLE },
    defaultUin: '100000000001',
  });
}

/** A copy job as a team creates it, with a description that needs escaping. */
const JOB_INPUT = {
  confirmationRequired: true,
  description: 'copy photos → archive & "cold" <IA>',
  priority: 10,
  roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
  manifest: {
    objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:source-1250000000/manifest.csv',
    etag: '"60e1c4ec8f4b3c1f1a2f3b6b6a1b2c3d"',
    format: 'COSBatchOperations_CSV_V1',
    fields: ['Bucket', 'Key'],
  },
  operation: {
    kind: 'COSPutObjectCopy' as const,
    targetResource: 'qcs::cos:ap-guangzhou:uid/1250000000:archive-1250000000',
  },
  report: {
    bucket: 'qcs::cos:ap-guangzhou:uid/1250000000:reports-1250000000',
    enabled: true,
    reportScope: 'AllTasks' as const,
    prefix: 'reports/',
  },
};

/** What COS and the emulator send, as the emulator renders it. */
function emulatorBodies(): string[] {
  const store = emulatorStore();
  return [
    store.createJob('ap-guangzhou', { ...JOB_INPUT, clientRequestToken: 'a' }, { status: 'Suspended' }),
    store.createJob(
      'ap-guangzhou',
      { ...JOB_INPUT, clientRequestToken: 'b' },
      {
        status: 'Failed',
        totalTasks: 9,
        failedTasks: 9,
        failureReasons: [{ code: 'AccessDenied', reason: 'no & way' }],
      },
    ),
  ].map((created) => {
    const record = store.record('ap-guangzhou', created.id);
    if (record === undefined) throw new Error('the job store lost a job');
    return renderDescribeJob(record);
  });
}

// Every element parseJobNode reads, as `[name, sample text]`; nested ones with their containers.
const JOB_ELEMENTS: readonly (readonly [string, string])[] = [
  ['ConfirmationRequired', '<ConfirmationRequired>true</ConfirmationRequired>'],
  ['CreationTime', '<CreationTime>2026-01-02T00:00:00Z</CreationTime>'],
  ['Description', '<Description>  keep my spaces &amp; &lt;tags&gt;  </Description>'],
  [
    'FailureReasons',
    '<FailureReasons><JobFailure><FailureCode>AccessDenied</FailureCode><FailureReason>role &amp; policy</FailureReason></JobFailure><JobFailure><FailureCode/><FailureReason/></JobFailure></FailureReasons>',
  ],
  ['JobId', '<JobId>53dc6228-c50b-46f7-8ad7-65e7159f1aae</JobId>'],
  [
    'Manifest',
    '<Manifest><Location><ETag>&quot;abc&quot;</ETag><ObjectArn>qcs::cos:ap-chengdu:uid/1:b-1/m.csv</ObjectArn><ObjectVersionId>v1</ObjectVersionId></Location><Spec><Fields><member>Bucket</member><member>Key</member></Fields><Format>COSBatchOperations_CSV_V1</Format></Spec></Manifest>',
  ],
  [
    'Operation',
    '<Operation><COSPutObjectCopy><TargetResource>qcs::cos:ap-chengdu:uid/1:d-1</TargetResource><NewObjectMetadata><UserMetadata><member><Key>team</Key><Value>data</Value></member></UserMetadata></NewObjectMetadata><NewObjectTagging><COSTag><Key>k</Key><Value>v</Value></COSTag></NewObjectTagging></COSPutObjectCopy></Operation>',
  ],
  ['Priority', '<Priority>10</Priority>'],
  [
    'ProgressSummary',
    '<ProgressSummary><NumberOfTasksFailed>1</NumberOfTasksFailed><NumberOfTasksSucceeded>2</NumberOfTasksSucceeded><TotalNumberOfTasks>3</TotalNumberOfTasks></ProgressSummary>',
  ],
  [
    'Report',
    '<Report><Bucket>qcs::cos:ap-chengdu:uid/1:r-1</Bucket><Enabled>true</Enabled><Format>Report_CSV_V1</Format><Prefix> spaced/ </Prefix><ReportScope>AllTasks</ReportScope></Report>',
  ],
  ['RoleArn', '<RoleArn>qcs::cam::uin/1:roleName/R</RoleArn>'],
  ['Status', '<Status>Suspended</Status>'],
  ['StatusUpdateReason', '<StatusUpdateReason>approved by Alice</StatusUpdateReason>'],
  ['SuspendedCause', '<SuspendedCause>waiting</SuspendedCause>'],
  ['SuspendedDate', '<SuspendedDate>2026-01-02T00:00:01Z</SuspendedDate>'],
  ['TerminationDate', '<TerminationDate>2026-01-02T00:00:02Z</TerminationDate>'],
];

function describeBody(elements: readonly string[], separator = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeJobResult>${separator}<Job>${separator}${elements.join(separator)}${separator}</Job>${separator}</DescribeJobResult>`;
}

const FULL_ELEMENTS = JOB_ELEMENTS.map(([, xml]) => xml);

/** The texts every leaf is tried with: entities, CDATA, unicode, whitespace, numbers, hostile bits. */
const TEXTS: readonly string[] = [
  '',
  'plain',
  '  spaced  ',
  '\n\t',
  ' ',
  '10',
  ' 10 ',
  '-1',
  '1e3',
  '99999999999999999',
  'Suspended',
  'Ready',
  'a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;',
  '&amp;lt; stays one level',
  '&#65;&#x42;&#X43;&#x1F600;',
  '&#0;',
  '&#xD800;',
  '&#1114112;',
  '&#12345678;',
  '&foo; &nbsp; &copy;',
  '&',
  'a & b',
  '&amp',
  '&#;',
  '&#x;',
  '<![CDATA[raw <b> &amp; kept]]>',
  '<![CDATA[]]>',
  ' <![CDATA[x]]> ',
  'p<![CDATA[q]]>r',
  '&am<![CDATA[p;]]>',
  '<![CDATA[a]]><![CDATA[b]]>',
  '<![CDATA[unclosed',
  '<![CDATA[<!DOCTYPE x>]]>',
  '中文 العربية עברית',
  '😀 and a lone \uD800 surrogate',
  'control \u0001 \u0000 \u001f',
  'line\u2028separator \u202e bidi',
  'CR\r\nLF',
  'greater > than',
  ']]> outside CDATA',
  '<!-- a comment -->text',
  'text<!-- a comment -->',
  '<?pi x?>',
  '<b>nested</b>',
  'text<b>mixed</b>',
  '<b/>',
  'x'.repeat(5000),
  `${'&amp;'.repeat(2000)}`,
];

const LEAF_PATHS: readonly string[] = [
  'Description',
  'JobId',
  'Status',
  'Priority',
  'CreationTime',
  'ConfirmationRequired',
  'StatusUpdateReason',
  'SuspendedCause',
];

describe('the plain-XML scanner next to fast-xml-parser', () => {
  it('takes what the emulator sends and reads it identically', () => {
    const bodies = emulatorBodies();
    for (const body of bodies) expect(expectSameReading(body)).toBe(true);
    expect(parseDescribeJob(bodies[1] as string).failureReasons).toEqual([
      { code: 'AccessDenied', reason: 'no & way' },
    ]);
  });

  it('reads every element present, each one absent, each one alone, and random subsets identically', () => {
    taken = 0;
    const layouts: string[][] = [FULL_ELEMENTS];
    for (let i = 0; i < FULL_ELEMENTS.length; i++) {
      layouts.push(FULL_ELEMENTS.filter((_, j) => j !== i));
      layouts.push([FULL_ELEMENTS[i] as string]);
    }
    const next = random(1);
    for (let i = 0; i < 200; i++) layouts.push(FULL_ELEMENTS.filter(() => next() < 0.5));
    for (const elements of layouts) {
      for (const separator of ['', '\n    ', ' \t']) {
        // Every one of these is plain XML: the scanner must take it, or the fast path is not in use.
        expect(expectSameReading(describeBody(elements, separator))).toBe(true);
      }
    }
    expect(taken).toBe(layouts.length * 3);
  });

  it('reads every leaf with entities, CDATA, unicode, whitespace, numbers and hostile text identically', () => {
    taken = 0;
    let bodies = 0;
    for (const leaf of LEAF_PATHS) {
      for (const text of TEXTS) {
        const elements = FULL_ELEMENTS.map((xml, i) =>
          JOB_ELEMENTS[i]?.[0] === leaf ? `<${leaf}>${text}</${leaf}>` : xml,
        );
        expectSameReading(describeBody(elements, '\n'));
        bodies++;
      }
    }
    // Inside nested elements too: a failure reason, a manifest field, an operation parameter.
    for (const text of TEXTS) {
      for (const nested of [
        `<FailureReasons><JobFailure><FailureCode>C</FailureCode><FailureReason>${text}</FailureReason></JobFailure></FailureReasons>`,
        `<Manifest><Spec><Fields><member>${text}</member></Fields></Spec></Manifest>`,
        `<Operation><COSPutObjectTagging><TagSet><COSTag><Key>${text}</Key></COSTag></TagSet></COSPutObjectTagging></Operation>`,
        `<Report><Prefix>${text}</Prefix></Report>`,
      ]) {
        expectSameReading(describeBody([...FULL_ELEMENTS.slice(4, 5), nested, '<Status>New</Status>']));
        bodies++;
      }
    }
    // Most texts are plain enough for the scanner; the rest went to fast-xml-parser and still agreed.
    expect(taken).toBeGreaterThan(bodies / 2);
    expect(taken).toBeLessThan(bodies);
  });

  it.each([
    ['a duplicated Job', describeBody(FULL_ELEMENTS).replace('</Job>', '</Job><Job><JobId>b</JobId></Job>')],
    ['a duplicated JobId', describeBody(['<JobId>a</JobId>', '<JobId>b</JobId>', '<Status>New</Status>'])],
    ['a duplicated Status', describeBody(['<JobId>a</JobId>', '<Status>New</Status><Status>Ready</Status>'])],
    ['a duplicated Manifest', describeBody([...FULL_ELEMENTS, FULL_ELEMENTS[5] as string])],
    ['two ProgressSummary', describeBody([...FULL_ELEMENTS, FULL_ELEMENTS[8] as string])],
    ['two FailureReasons', describeBody([...FULL_ELEMENTS, FULL_ELEMENTS[3] as string])],
    [
      'an Operation with two kinds',
      describeBody([
        '<JobId>a</JobId><Status>New</Status><Operation><COSDeleteObject/><COSPutObjectCopy><A>1</A></COSPutObjectCopy></Operation>',
      ]),
    ],
    [
      'an Operation as text',
      describeBody(['<JobId>a</JobId><Status>New</Status><Operation> COSDeleteObject </Operation>']),
    ],
    ['an empty Operation', describeBody(['<JobId>a</JobId><Status>New</Status><Operation/>'])],
    ['a Job as text', '<DescribeJobResult><Job>text</Job></DescribeJobResult>'],
    ['an empty Job', '<DescribeJobResult><Job/></DescribeJobResult>'],
    ['no Job', '<DescribeJobResult/>'],
    ['an empty root', '<DescribeJobResult></DescribeJobResult>'],
    ['another root', '<ListJobsResult><Jobs/></ListJobsResult>'],
    ['two roots', `${describeBody(FULL_ELEMENTS)}<DescribeJobResult/>`],
    ['text after the root', `${describeBody(FULL_ELEMENTS)}tail`],
    ['text before the root', `lead${describeBody(FULL_ELEMENTS)}`],
    [
      'unknown elements',
      describeBody([...FULL_ELEMENTS, '<AutoManifestStatus>x</AutoManifestStatus><Z><Y/></Z>']),
    ],
    [
      'an xmlns on the root',
      describeBody(FULL_ELEMENTS).replace(
        '<DescribeJobResult>',
        '<DescribeJobResult xmlns="http://example.com/doc/2018-11-29/">',
      ),
    ],
    ['attributes on leaves', describeBody(['<JobId id="1" b=\'2\'>a</JobId>', '<Status x="y"/>'])],
    ['a duplicated attribute', describeBody(['<JobId a="1" a="2">a</JobId><Status>New</Status>'])],
    ['an unquoted attribute', describeBody(['<JobId a=1>a</JobId><Status>New</Status>'])],
    ['a boolean attribute', describeBody(['<JobId a>a</JobId><Status>New</Status>'])],
    ['spaces around =', describeBody(['<JobId a = "1">a</JobId><Status>New</Status>'])],
    ['& in an attribute', describeBody(['<JobId a="&amp;">a</JobId><Status>New</Status>'])],
    [
      'a namespaced Job',
      '<DescribeJobResult><ns:Job><JobId>a</JobId><Status>New</Status></ns:Job></DescribeJobResult>',
    ],
    ['spaces in tags', describeBody(['<JobId >a</JobId >', '<Status\n>New</Status\t>', '<Priority />'])],
    ['a mismatched close', describeBody(['<JobId>a</Jobid>', '<Status>New</Status>'])],
    ['a close with a longer name', describeBody(['<JobId>a</JobIdx>', '<Status>New</Status>'])],
    ['an unclosed element', describeBody(['<JobId>a', '<Status>New</Status>'])],
    ['a stray close', describeBody(['<JobId>a</JobId></Status>'])],
    [
      '__proto__',
      describeBody(['<JobId>a</JobId><Status>New</Status><__proto__><polluted>1</polluted></__proto__>']),
    ],
    ['constructor', describeBody(['<JobId>a</JobId><Status>New</Status><constructor>1</constructor>'])],
    ['prototype', describeBody(['<JobId>a</JobId><Status>New</Status><prototype>1</prototype>'])],
    ['toString', describeBody(['<JobId>a</JobId><Status>New</Status><toString>1</toString>'])],
    [
      'hasOwnProperty as a leaf read',
      describeBody([
        '<JobId>a</JobId><Status>New</Status><Report><hasOwnProperty>1</hasOwnProperty></Report>',
      ]),
    ],
    [
      'a billion laughs',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>${describeBody(['<JobId>&lol2;</JobId><Status>New</Status>']).replace(/^<\?xml[^>]*>/, '')}`,
    ],
    [
      'an external entity',
      `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${describeBody(['<JobId>&xxe;</JobId>'])}`,
    ],
    [
      'comments',
      `<?xml version="1.0"?><!-- hello -->${describeBody(['<!-- x --><JobId>j</JobId><Status>New</Status>']).replace(/^<\?xml[^>]*>/, '')}`,
    ],
    ['a processing instruction', describeBody(['<?pi data?><JobId>j</JobId><Status>New</Status>'])],
    ['a declaration after whitespace', ` ${describeBody(FULL_ELEMENTS)}`],
    [
      'a declaration with single quotes',
      describeBody(FULL_ELEMENTS).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<?xml version='1.0' encoding='utf-8' ?>",
      ),
    ],
    [
      'a declaration with standalone',
      describeBody(FULL_ELEMENTS).replace('encoding="UTF-8"?>', 'encoding="UTF-8" standalone="yes"?>'),
    ],
    ['a declaration without version', describeBody(FULL_ELEMENTS).replace('version="1.0" ', '')],
    [
      'a declaration in the middle',
      describeBody(['<?xml version="1.0"?><JobId>j</JobId><Status>New</Status>']),
    ],
    [
      'a stylesheet instruction',
      describeBody(FULL_ELEMENTS).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-stylesheet href="a"?>',
      ),
    ],
    ['a byte-order mark', `\uFEFF${describeBody(FULL_ELEMENTS)}`],
    ['two byte-order marks', `\uFEFF\uFEFF${describeBody(FULL_ELEMENTS)}`],
    ['CRLF line ends', describeBody(FULL_ELEMENTS, '\r\n')],
    ['mixed content in Job', describeBody(['text', '<JobId>j</JobId><Status>New</Status>'])],
    ['CDATA between elements', describeBody(['<JobId>j</JobId><![CDATA[x]]><Status>New</Status>'])],
    ['an empty body', ''],
    ['whitespace only', '  \n '],
    ['HTML', '<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1><hr></body></html>'],
    ['plain text', 'upstream connect error'],
    ['JSON', '{"Job":{"JobId":"a"}}'],
    ['a lone <', '<'],
    ['a tag without a name', describeBody(['<>x</>'])],
    ['a name with a dot', describeBody(['<JobId>j</JobId><Status>New</Status><a.b>1</a.b>'])],
    ['a name with unicode', describeBody(['<JobId>j</JobId><Status>New</Status><名前>1</名前>'])],
    [
      '19 levels',
      describeBody(['<JobId>j</JobId><Status>New</Status>', `${'<a>'.repeat(16)}x${'</a>'.repeat(16)}`]),
    ],
    [
      '20 levels',
      describeBody(['<JobId>j</JobId><Status>New</Status>', `${'<a>'.repeat(17)}x${'</a>'.repeat(17)}`]),
    ],
    [
      '26 levels',
      describeBody(['<JobId>j</JobId><Status>New</Status>', `${'<a>'.repeat(23)}x${'</a>'.repeat(23)}`]),
    ],
    ['200 levels', `${'<a>'.repeat(200)}x${'</a>'.repeat(200)}`],
    [
      'a huge description',
      describeBody([
        '<JobId>j</JobId><Status>New</Status>',
        `<Description>${'d'.repeat(300_000)}</Description>`,
      ]),
    ],
    [
      'a body over the limit',
      describeBody([
        '<JobId>j</JobId><Status>New</Status>',
        `<Description>${'d'.repeat(MAX_RESPONSE_BYTES)}</Description>`,
      ]),
    ],
    [
      'multi-byte text near the limit',
      describeBody([
        '<JobId>j</JobId><Status>New</Status>',
        `<Description>${'中'.repeat(MAX_RESPONSE_BYTES / 3 - 20)}</Description>`,
      ]),
    ],
    [
      'many failures',
      describeBody([
        '<JobId>j</JobId><Status>Failed</Status>',
        `<FailureReasons>${'<JobFailure><FailureCode>C</FailureCode><FailureReason>r</FailureReason></JobFailure>'.repeat(500)}</FailureReasons>`,
      ]),
    ],
    ['a malformed number', describeBody(['<JobId>j</JobId><Status>New</Status><Priority>ten</Priority>'])],
    ['a missing JobId', describeBody(['<Status>New</Status>'])],
    ['a blank Status', describeBody(['<JobId>j</JobId><Status> </Status>'])],
  ])('reads %s identically', (_name, xml) => {
    expectSameReading(xml);
  });

  it('reads every truncation of a COS answer identically (each one refused)', () => {
    const [body] = emulatorBodies();
    const full = body as string;
    for (let end = 0; end < full.trimEnd().length; end++) {
      const cut = full.slice(0, end);
      expect(expectSameReading(cut)).toBe(false);
    }
  });

  it('reads randomly damaged COS answers identically', () => {
    const bodies = [...emulatorBodies(), describeBody(FULL_ELEMENTS, '\n  ')];
    const snippets = [
      '<',
      '>',
      '/',
      '&',
      ';',
      '&amp;',
      '&#',
      '"',
      "'",
      '=',
      ' ',
      '\n',
      '\r',
      '\u0000',
      'x',
      '</Job>',
      '<Job>',
      '<JobId>',
      '</JobId>',
      '<![CDATA[',
      ']]>',
      '<!--',
      '-->',
      '<?',
      '?>',
      '<!DOCTYPE a>',
      '<a/>',
      '<a>',
      '</a>',
      ' a="1"',
      '\uFEFF',
      '😀',
      '\uD800',
    ];
    const next = random(7);
    taken = 0;
    const runs = 1500;
    for (let i = 0; i < runs; i++) {
      let xml = pick(next, bodies);
      const damages = 1 + Math.floor(next() * 3);
      for (let d = 0; d < damages; d++) {
        const at = Math.floor(next() * xml.length);
        const kind = next();
        if (kind < 0.5) xml = xml.slice(0, at) + pick(next, snippets) + xml.slice(at);
        else if (kind < 0.75) xml = xml.slice(0, at) + xml.slice(at + 1 + Math.floor(next() * 20));
        else {
          const from = Math.floor(next() * xml.length);
          xml = xml.slice(0, at) + xml.slice(from, from + Math.floor(next() * 60)) + xml.slice(at);
        }
      }
      expectSameReading(xml);
    }
    // Some damage leaves plain XML (a space in text, a new element): both paths were compared on those too.
    expect(taken).toBeGreaterThan(50);
  });
});

describe('what the scanner takes', () => {
  it('takes the variants a COS answer may come in: declaration forms, a byte-order mark, xmlns, attributes, spaced tags', () => {
    const body = describeBody(FULL_ELEMENTS, '\n');
    for (const variant of [
      body,
      body.replace('<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0' encoding='utf-8' ?>"),
      body.replace('<?xml version="1.0" encoding="UTF-8"?>', ''),
      `\uFEFF${body}`,
      body.replace('<DescribeJobResult>', '<DescribeJobResult xmlns="http://example.com/doc/2018-11-29/">'),
      body.replace('<JobId>', '<JobId a="1" b=\'2\' >').replace('</Status>', '</Status >'),
      body.replace(
        '<Description>  keep my spaces &amp; &lt;tags&gt;  </Description>',
        '<Description><![CDATA[a <b> &amp;]]></Description>',
      ),
    ]) {
      expect(expectSameReading(variant)).toBe(true);
    }
  });

  it('leaves comments, CRLF, uppercase &#X, namespaces and deep nesting to fast-xml-parser', () => {
    const body = describeBody(FULL_ELEMENTS, '\n');
    for (const variant of [
      body.replace('<Job>', '<Job><!-- c -->'),
      body.replaceAll('\n', '\r\n'),
      body.replace('approved by Alice', '&#X41;'),
      body.replace('<Priority>10</Priority>', '<ns:Priority>10</ns:Priority>'),
      body.replace('<Priority>10</Priority>', `${'<a>'.repeat(19)}x${'</a>'.repeat(19)}`),
    ]) {
      expect(plainXmlTree(variant, isListPath)).toBeUndefined();
      expectSameReading(variant);
    }
  });
});

/** ListJobs pages as the emulator renders them: `count` members, descriptions that need escaping. */
function listJobsBody(count: number, nextToken = ''): string {
  const store = emulatorStore();
  const records = Array.from({ length: count }, (_, i) => {
    const created = store.createJob(
      'ap-guangzhou',
      {
        ...JOB_INPUT,
        description: i % 3 === 0 ? `copy #${i} → archive & "cold" <IA>` : i % 3 === 1 ? '' : `  tag ${i}  `,
        priority: i,
        clientRequestToken: `list-${i}`,
      },
      { status: i % 5 === 4 ? 'Failed' : 'Suspended' },
    );
    const record = store.record('ap-guangzhou', created.id);
    if (record === undefined) throw new Error('the job store lost a job');
    return record;
  });
  return renderListJobs({ jobs: records, nextToken });
}

describe('ListJobs pages through the scanner', () => {
  it('builds fast-xml-parser’s tree for the pages the emulator sends, one member, a few, and a sliced page', () => {
    for (const body of [listJobsBody(1), listJobsBody(3, 'next-token-1'), listJobsBody(250)]) {
      const tree = plainXmlTree(body, isListPath);
      expect(tree, 'the scanner takes a plain ListJobs page').toBeDefined();
      expect(tree).toEqual(parseXmlDocument(body));
    }
    // One member is still a list, as fast-xml-parser's list rule makes it.
    const one = plainXmlTree(listJobsBody(1), isListPath) as {
      ListJobsResult: { Jobs: { member: unknown } };
    };
    expect(Array.isArray(one.ListJobsResult.Jobs.member)).toBe(true);
  });

  it('reads randomly damaged ListJobs pages as fast-xml-parser does, or leaves them to it', async () => {
    const { parseListJobs, parseListJobsYielding } = await import('../../src/cos/xml/list-jobs.js');
    const bodies = [listJobsBody(2), listJobsBody(4, 'tok')];
    const snippets = [
      '<',
      '>',
      '&',
      '&amp;',
      '"',
      ' ',
      '\n',
      'x',
      '</member>',
      '<member>',
      '<Jobs>',
      '<!--',
      '<a/>',
      ' a="1"',
    ];
    const next = random(11);
    taken = 0;
    for (let i = 0; i < 600; i++) {
      let xml = pick(next, bodies);
      const at = Math.floor(next() * xml.length);
      xml =
        next() < 0.6
          ? xml.slice(0, at) + pick(next, snippets) + xml.slice(at)
          : xml.slice(0, at) + xml.slice(at + 1 + Math.floor(next() * 20));
      const tree = plainXmlTree(xml, isListPath);
      if (tree !== undefined) {
        expect(tree, JSON.stringify(xml.slice(0, 300))).toEqual(parseXmlDocument(xml));
        taken++;
      }
      // The client's reader and the one-go reader agree, refusals and their messages included.
      const oneGo = (() => {
        try {
          return { page: parseListJobs(xml) };
        } catch (error) {
          return { refused: String(error) };
        }
      })();
      const yielding = await parseListJobsYielding(xml).then(
        (page) => ({ page }),
        (error: unknown) => ({ refused: String(error) }),
      );
      expect(yielding).toEqual(oneGo);
    }
    expect(taken).toBeGreaterThan(50);
  });
});
