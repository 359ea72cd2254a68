import { describe, expect, it } from 'vitest';
import { CosError } from '../../src/cos/errors.js';
import { parseDescribeJob } from '../../src/cos/xml/describe-job.js';
import { parseXmlDocument } from '../../src/cos/xml/document.js';
import { decodeXmlText } from '../../src/cos/xml/entities.js';
import { parseCosError } from '../../src/cos/xml/error-response.js';
import { parseListJobs, parseListJobsYielding } from '../../src/cos/xml/list-jobs.js';
import { MAX_RESPONSE_BYTES, readLimitedText } from '../../src/cos/xml/response-body.js';
import { parseUpdateJobStatus } from '../../src/cos/xml/update-job-status.js';

// The DescribeJob response sample from Tencent's COS documentation, with three failure reasons.
const DESCRIBE_SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeJobResult>
  <Job>
    <ConfirmationRequired>true</ConfirmationRequired>
    <CreationTime>2019-12-19T18:00:30Z</CreationTime>
    <Description>  example job, keep my spaces  </Description>
    <FailureReasons>
      <JobFailure><FailureCode>ManifestNotFound</FailureCode><FailureReason>no manifest</FailureReason></JobFailure>
      <JobFailure><FailureCode/><FailureReason/></JobFailure>
      <JobFailure><FailureCode>AccessDenied</FailureCode><FailureReason>role &amp; policy</FailureReason></JobFailure>
      <JobFailure><FailureCode></FailureCode><FailureReason>reason without a code</FailureReason></JobFailure>
    </FailureReasons>
    <JobId>53dc6228-c50b-46f7-8ad7-65e7159f1aae</JobId>
    <Manifest>
      <Location>
        <ETag>&quot;15150651828fa9cdcb8fd34f6ad4b3c9&quot;</ETag>
        <ObjectArn>qcs::cos:ap-chengdu:uid/1250000000:sourcebucket-1250000000/manifests/batch.csv</ObjectArn>
      </Location>
      <Spec>
        <Fields><member>Bucket</member></Fields>
        <Format>COSBatchOperations_CSV_V1</Format>
      </Spec>
    </Manifest>
    <Operation>
      <COSPutObjectCopy>
        <TargetResource>qcs::cos:ap-chengdu:uid/1250000000:destinationbucket-1250000000</TargetResource>
        <NewObjectMetadata><UserMetadata><member><Key>team</Key><Value>data</Value></member></UserMetadata></NewObjectMetadata>
      </COSPutObjectCopy>
    </Operation>
    <Priority>10</Priority>
    <ProgressSummary>
      <NumberOfTasksFailed>0</NumberOfTasksFailed>
      <NumberOfTasksSucceeded>10</NumberOfTasksSucceeded>
      <TotalNumberOfTasks>10</TotalNumberOfTasks>
    </ProgressSummary>
    <Report>
      <Bucket>qcs::cos:ap-chengdu:uid/1250000000:reportbucket-1250000000</Bucket>
      <Enabled>true</Enabled>
      <Format>Report_CSV_V1</Format>
      <Prefix>job-result</Prefix>
      <ReportScope>AllTasks</ReportScope>
    </Report>
    <RoleArn>qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole</RoleArn>
    <Status>Suspended</Status>
    <StatusUpdateReason>Job complete</StatusUpdateReason>
    <SuspendedCause>waiting for confirmation</SuspendedCause>
    <SuspendedDate>2019-12-19T18:00:31Z</SuspendedDate>
    <TerminationDate>2019-12-19T18:00:32Z</TerminationDate>
  </Job>
</DescribeJobResult>`;

function member(id: string, extra = ''): string {
  return `<member><CreationTime>2019-12-19T18:00:30Z</CreationTime><Description>d-${id}</Description><JobId>${id}</JobId><Operation>COSPutObjectCopy</Operation><Priority>10</Priority><ProgressSummary><NumberOfTasksFailed>1</NumberOfTasksFailed><NumberOfTasksSucceeded>2</NumberOfTasksSucceeded><TotalNumberOfTasks>3</TotalNumberOfTasks></ProgressSummary><Status>Active</Status>${extra}</member>`;
}

function describeWith(jobInner: string): string {
  return `<DescribeJobResult><Job><JobId>j1</JobId><Status>Active</Status><Priority>1</Priority>${jobInner}</Job></DescribeJobResult>`;
}

function expectInvalidResponse(run: () => unknown, message: RegExp): CosError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CosError);
    const cosError = error as CosError;
    expect(cosError.code).toBe('InvalidResponse');
    expect(cosError.message).toMatch(message);
    return cosError;
  }
  throw new Error('expected an InvalidResponse CosError');
}

describe('parseDescribeJob', () => {
  it('maps the documented sample to the typed model', () => {
    const job = parseDescribeJob(DESCRIBE_SAMPLE);
    expect(job).toMatchObject({
      id: '53dc6228-c50b-46f7-8ad7-65e7159f1aae',
      status: 'Suspended',
      priority: 10,
      description: '  example job, keep my spaces  ',
      creationTime: '2019-12-19T18:00:30Z',
      terminationDate: '2019-12-19T18:00:32Z',
      confirmationRequired: true,
      roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
      progress: { totalTasks: 10, succeededTasks: 10, failedTasks: 0 },
      statusUpdateReason: 'Job complete',
      suspendedCause: 'waiting for confirmation',
      suspendedDate: '2019-12-19T18:00:31Z',
    });
    expect(job.manifest).toEqual({
      location: {
        objectArn: 'qcs::cos:ap-chengdu:uid/1250000000:sourcebucket-1250000000/manifests/batch.csv',
        etag: '"15150651828fa9cdcb8fd34f6ad4b3c9"',
      },
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket'],
    });
    expect(job.report).toEqual({
      bucket: 'qcs::cos:ap-chengdu:uid/1250000000:reportbucket-1250000000',
      enabled: true,
      format: 'Report_CSV_V1',
      prefix: 'job-result',
      reportScope: 'AllTasks',
    });
  });

  it('keeps every failure reason and skips entries whose code and reason are both empty', () => {
    expect(parseDescribeJob(DESCRIBE_SAMPLE).failureReasons).toEqual([
      { code: 'ManifestNotFound', reason: 'no manifest' },
      { code: 'AccessDenied', reason: 'role & policy' },
      { code: '', reason: 'reason without a code' },
    ]);
    const single = parseDescribeJob(
      describeWith(
        '<FailureReasons><JobFailure><FailureCode>X</FailureCode><FailureReason>y</FailureReason></JobFailure></FailureReasons>',
      ),
    );
    expect(single.failureReasons).toEqual([{ code: 'X', reason: 'y' }]);
    const emptyOnly = parseDescribeJob(
      describeWith(
        '<FailureReasons><JobFailure><FailureCode/><FailureReason/></JobFailure></FailureReasons>',
      ),
    );
    expect(emptyOnly.failureReasons).toEqual([]);
  });

  it('flattens operation parameters, single-member lists included', () => {
    const operation = parseDescribeJob(DESCRIBE_SAMPLE).operation;
    expect(operation).toEqual({
      kind: 'COSPutObjectCopy',
      rawKind: 'COSPutObjectCopy',
      destructive: false,
      parameters: {
        TargetResource: 'qcs::cos:ap-chengdu:uid/1250000000:destinationbucket-1250000000',
        'NewObjectMetadata.UserMetadata.member[0].Key': 'team',
        'NewObjectMetadata.UserMetadata.member[0].Value': 'data',
      },
    });
  });

  it('marks deletes destructive, including unknown operations whose name contains Delete', () => {
    const del = parseDescribeJob(describeWith('<Operation><COSDeleteObject></COSDeleteObject></Operation>'));
    expect(del.operation).toMatchObject({ kind: 'COSDeleteObject', destructive: true, parameters: {} });
    const unknownDelete = parseDescribeJob(
      describeWith(
        '<Operation><COSBatchDeleteVersions><Mode>all</Mode></COSBatchDeleteVersions></Operation>',
      ),
    );
    expect(unknownDelete.operation).toEqual({
      kind: 'unknown',
      rawKind: 'COSBatchDeleteVersions',
      destructive: true,
      parameters: { Mode: 'all' },
    });
    const tagging = parseDescribeJob(
      describeWith(
        '<Operation><COSPutObjectTagging><TagSet><COSTag><Key>a</Key><Value>1</Value></COSTag></TagSet></COSPutObjectTagging></Operation>',
      ),
    );
    expect(tagging.operation).toMatchObject({
      kind: 'COSPutObjectTagging',
      destructive: false,
      parameters: { 'TagSet.COSTag[0].Key': 'a', 'TagSet.COSTag[0].Value': '1' },
    });
    const none = parseDescribeJob(describeWith(''));
    expect(none.operation).toEqual({ kind: 'unknown', rawKind: '', destructive: false, parameters: {} });
  });

  it('tolerates unknown elements and unknown statuses, and omits optional fields COS did not send', () => {
    const job = parseDescribeJob(
      '<DescribeJobResult><RequestExtra>1</RequestExtra><Job><JobId>j1</JobId><Status>Archiving</Status><NewThing><Deep>x</Deep></NewThing></Job></DescribeJobResult>',
    );
    expect(job.status).toBe('Archiving');
    expect(job.priority).toBe(0);
    expect(job.confirmationRequired).toBe(false);
    expect(job.failureReasons).toEqual([]);
    expect(job.progress).toEqual({ totalTasks: 0, succeededTasks: 0, failedTasks: 0 });
    for (const key of [
      'manifest',
      'report',
      'roleArn',
      'creationTime',
      'statusUpdateReason',
      'suspendedDate',
    ]) {
      expect(job).not.toHaveProperty(key);
    }
  });

  it('keeps numeric-looking text as strings and types numbers explicitly', () => {
    const job = parseDescribeJob(
      describeWith(
        '<Description>006</Description><StatusUpdateReason>1e5</StatusUpdateReason><SuspendedCause>0x2f</SuspendedCause>',
      ),
    );
    expect(job.description).toBe('006');
    expect(job.statusUpdateReason).toBe('1e5');
    expect(job.suspendedCause).toBe('0x2f');
    expect(job.priority).toBe(1);
    expect(parseDescribeJob(describeWith('<Description>true</Description>')).description).toBe('true');
  });

  it('refuses malformed numbers and missing identity fields with a clear error', () => {
    expectInvalidResponse(
      () =>
        parseDescribeJob(
          '<DescribeJobResult><Job><JobId>j</JobId><Status>Active</Status><Priority>high</Priority></Job></DescribeJobResult>',
        ),
      /Priority.*whole number/,
    );
    expectInvalidResponse(
      () => parseDescribeJob('<DescribeJobResult><Job><Status>Active</Status></Job></DescribeJobResult>'),
      /no <JobId>/,
    );
    expectInvalidResponse(() => parseDescribeJob('<DescribeJobResult></DescribeJobResult>'), /no <Job>/);
    expectInvalidResponse(
      () => parseDescribeJob('<ListJobsResult/>'),
      /Expected a <DescribeJobResult>.*ListJobsResult/,
    );
  });
});

describe('parseListJobs', () => {
  it('returns a single member as a one-element list', () => {
    const page = parseListJobs(
      `<ListJobsResult><Jobs>${member('only')}</Jobs><NextToken>only</NextToken></ListJobsResult>`,
    );
    expect(page.jobs).toHaveLength(1);
    expect(page.jobs[0]).toEqual({
      id: 'only',
      status: 'Active',
      priority: 10,
      description: 'd-only',
      creationTime: '2019-12-19T18:00:30Z',
      operation: 'COSPutObjectCopy',
      progress: { totalTasks: 3, succeededTasks: 2, failedTasks: 1 },
    });
    expect(page.nextToken).toBe('only');
  });

  it('answers an identical page again with an equal copy the caller cannot spoil, and re-reads a changed one', () => {
    const body = `<ListJobsResult><Jobs>${member('a')}${member('b')}</Jobs><NextToken>b</NextToken></ListJobsResult>`;
    const first = parseListJobs(body);
    const expected = structuredClone(first);
    first.jobs[0]!.status = 'Changed by the caller';
    first.jobs[1]!.progress.totalTasks = -1;
    first.jobs.pop();
    // A distinct string with the same text, as the next poll brings back.
    const again = parseListJobs(body.split('').join(''));
    expect(again).toEqual(expected);
    const changed = parseListJobs(body.replace('d-b', 'd-B'));
    expect(changed.jobs[1]?.description).toBe('d-B');
    // A changed page that is not well-formed is refused, never answered from memory.
    expect(() => parseListJobs(body.replace('</NextToken>', ''))).toThrow();
  });

  it('keeps member order for several members', () => {
    const page = parseListJobs(
      `<ListJobsResult><Jobs>${member('a')}${member('b')}${member('c')}</Jobs></ListJobsResult>`,
    );
    expect(page.jobs.map((job) => job.id)).toEqual(['a', 'b', 'c']);
    expect(page).not.toHaveProperty('nextToken');
  });

  it.each([
    ['missing <Jobs>', '<ListJobsResult><NextToken></NextToken></ListJobsResult>'],
    ['<Jobs/>', '<ListJobsResult><Jobs/><NextToken/></ListJobsResult>'],
    ['<Jobs></Jobs>', '<ListJobsResult><Jobs></Jobs></ListJobsResult>'],
    [
      'whitespace-only <Jobs>',
      '<ListJobsResult>\n  <Jobs>\n  </Jobs>\n  <NextToken>\n</NextToken>\n</ListJobsResult>',
    ],
    ['an empty root', '<ListJobsResult/>'],
  ])('treats %s as an empty page', (_name, xml) => {
    const page = parseListJobs(xml);
    expect(page.jobs).toEqual([]);
    expect(page.nextToken).toBeUndefined();
  });

  it('keeps the readable members and reports each unreadable one with its position and problem', () => {
    const page = parseListJobs(
      `<ListJobsResult><Jobs>${[
        member('good-1'),
        '<member><Status>Active</Status><Priority>1</Priority></member>',
        member('bad-priority').replace('<Priority>10</Priority>', '<Priority>high</Priority>'),
        member('../../etc'),
        member('a%2Fb'),
        member('x'.repeat(65)),
        member('with space'),
        '<member>just text</member>',
        member('good-2'),
      ].join('')}</Jobs><NextToken>good-2</NextToken></ListJobsResult>`,
    );
    expect(page.jobs.map((job) => job.id)).toEqual(['good-1', 'good-2']);
    expect(page.nextToken).toBe('good-2');
    const bad = page.badMembers ?? [];
    expect(bad.map((b) => [b.index, b.jobId])).toEqual([
      [1, undefined],
      [2, 'bad-priority'],
      [3, '../../etc'],
      [4, 'a%2Fb'],
      [5, 'x'.repeat(65)],
      [6, 'with space'],
      [7, undefined],
    ]);
    expect(bad[0]?.problem).toMatch(/no <JobId>/);
    expect(bad[1]?.problem).toMatch(/<Priority>"high"<\/Priority>, expected a whole number/);
    for (const unsafe of bad.slice(2, 6))
      expect(unsafe.problem).toMatch(/JobId .* is not one cosjob can use/);
  });

  it('sanitises a listed JobId before reporting it', () => {
    const page = parseListJobs(
      `<ListJobsResult><Jobs>${member('bad\tid q-signature=abcdef')}</Jobs></ListJobsResult>`,
    );
    expect(page.jobs).toEqual([]);
    expect(page.badMembers?.[0]?.jobId).toBe('bad id q-signature=[redacted]');
  });

  it('has no badMembers when every member is readable', () => {
    expect(parseListJobs(`<ListJobsResult><Jobs>${member('a')}</Jobs></ListJobsResult>`)).not.toHaveProperty(
      'badMembers',
    );
  });

  it('tolerates unknown elements such as AutoManifestStatus and keeps numeric-looking tokens as strings', () => {
    const page = parseListJobs(
      `<ListJobsResult><Unknown>x</Unknown><Jobs>${member('006', '<ProgressSummary2/>').replace(
        '<TotalNumberOfTasks>',
        '<AutoManifestStatus>done</AutoManifestStatus><TotalNumberOfTasks>',
      )}</Jobs><NextToken>1e5</NextToken></ListJobsResult>`,
    );
    expect(page.jobs[0]?.id).toBe('006');
    expect(page.jobs[0]?.progress.totalTasks).toBe(3);
    expect(page.nextToken).toBe('1e5');
    expect(typeof page.nextToken).toBe('string');
    const hex = parseListJobs('<ListJobsResult><Jobs/><NextToken>0x2f</NextToken></ListJobsResult>');
    expect(hex.nextToken).toBe('0x2f');
  });
});

describe('parseListJobsYielding (large pages a slice at a time)', () => {
  // A 1,000-member page as COS sends it for maxResults=1000, with unreadable members and nested lists.
  function largePage(tag: string): string {
    const members = Array.from({ length: 1000 }, (_, i) => {
      if (i === 17) return '<member><Status>Active</Status><Priority>1</Priority></member>';
      if (i === 640)
        return member('bad-priority').replace('<Priority>10</Priority>', '<Priority>high</Priority>');
      if (i === 999) return '<member/>';
      const nested = i % 250 === 0 ? '<Fields><member><Key>k</Key></member></Fields>' : '';
      return member(`${tag}-${i}`, nested).replace('d-', 'd &amp; ');
    });
    return `<?xml version="1.0" encoding="UTF-8"?>\n<ListJobsResult>\n  <Jobs>\n${members.join('\n')}\n  </Jobs>\n  <NextToken>next-${tag}</NextToken>\n</ListJobsResult>`;
  }

  it('knows an answer by its bytes: the same bytes give the same page without their text, other bytes a fresh one', async () => {
    const first = largePage('bytes-a');
    let decoded = 0;
    // The client's answer: the text is decoded only when asked for.
    const answer = (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      return {
        bytes,
        get body() {
          decoded += 1;
          return bytes.toString('utf8');
        },
      };
    };
    const page = await parseListJobsYielding(answer(first));
    expect(decoded).toBe(1);
    const again = await parseListJobsYielding(answer(first));
    expect(decoded, 'an answer with the same bytes is not decoded again').toBe(1);
    expect(again).toEqual(page);
    again.jobs[0]!.status = 'Changed';
    expect((await parseListJobsYielding(answer(first))).jobs[0]?.status).toBe(page.jobs[0]?.status);
    // One byte different: decoded and parsed afresh.
    const other = first.replace('<JobId>bytes-a-1</JobId>', '<JobId>bytes-a-X</JobId>');
    expect(other).not.toBe(first);
    const changed = await parseListJobsYielding(answer(other));
    expect(decoded).toBe(2);
    expect(changed.jobs.map((j) => j.id)).toContain('bytes-a-X');
    expect(changed).toEqual(parseListJobs(`${other}\n`));
  });

  it('reads a large page exactly as the one-go parse does, bad members at their positions', async () => {
    const body = largePage('same');
    const sliced = await parseListJobsYielding(body);
    // The one-go parse of the same document (a trailing newline, so it is not answered from memory).
    const whole = parseListJobs(`${body}\n`);
    expect(sliced).toEqual(whole);
    expect(sliced.jobs).toHaveLength(997);
    expect(sliced.badMembers?.map((bad) => bad.index)).toEqual([17, 640, 999]);
    expect(sliced.nextToken).toBe('next-same');
    expect(sliced.jobs[0]?.description).toBe('d & same-0');
  });

  it('lets the event loop turn while it parses a large page', async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    const parsing = parseListJobsYielding(largePage('turns')).then(() => turned);
    expect(await parsing).toBe(true);
  });

  it.each([
    [
      'a DTD',
      (xml: string) => xml.replace('<ListJobsResult>', '<!DOCTYPE x [<!ENTITY e "e">]><ListJobsResult>'),
      /DTD/,
    ],
    ['a malformed member', (xml: string) => xml.replace('</Priority>', ''), /not well-formed/],
    ['another root', (xml: string) => xml.replaceAll('ListJobsResult', 'SomethingElse'), /ListJobsResult/],
    [
      'an oversize body',
      (xml: string) => xml.replace('</Jobs>', `${' '.repeat(MAX_RESPONSE_BYTES)}</Jobs>`),
      /large|MiB|bytes/,
    ],
  ])('refuses a large page with %s as the one-go parse does', async (_name, spoil, message) => {
    const body = spoil(largePage('spoilt'));
    await expect(parseListJobsYielding(body)).rejects.toThrow(message);
    expect(() => parseListJobs(`${body} `)).toThrow(message);
  });
});

describe('other success bodies', () => {
  it('parses UpdateJobStatus results', () => {
    expect(
      parseUpdateJobStatus(
        '<UpdateJobStatusResult><JobId>j1</JobId><Status>Ready</Status><StatusUpdateReason>ok &lt;3</StatusUpdateReason></UpdateJobStatusResult>',
      ),
    ).toEqual({ jobId: 'j1', status: 'Ready', statusUpdateReason: 'ok <3' });
    expect(
      parseUpdateJobStatus(
        '<UpdateJobStatusResult><JobId>j1</JobId><Status>Cancelled</Status></UpdateJobStatusResult>',
      ),
    ).toEqual({
      jobId: 'j1',
      status: 'Cancelled',
    });
  });
});

describe('entities', () => {
  it('decodes the five predefined entities once (no double decoding)', () => {
    expect(decodeXmlText('&quot;etag&quot; &amp; &lt;b&gt; &apos;q&apos;')).toBe(`"etag" & <b> 'q'`);
    expect(decodeXmlText('&amp;lt;')).toBe('&lt;');
    expect(decodeXmlText('&amp;amp;')).toBe('&amp;');
  });

  it('decodes valid numeric references and leaves invalid ones as written', () => {
    expect(decodeXmlText('&#65;&#x4E2D;&#x1F600;')).toBe('A中😀');
    expect(decodeXmlText('&#0;')).toBe('&#0;');
    expect(decodeXmlText('&#xD800;')).toBe('&#xD800;');
    expect(decodeXmlText('&#x110000;')).toBe('&#x110000;');
    expect(decodeXmlText('&#99999999;')).toBe('&#99999999;');
  });

  it('leaves unknown named entities and HTML entities as text', () => {
    expect(decodeXmlText('&nbsp;&copy;&lol9;')).toBe('&nbsp;&copy;&lol9;');
    const job = parseDescribeJob(describeWith('<Description>&lol9; &nbsp;</Description>'));
    expect(job.description).toBe('&lol9; &nbsp;');
  });

  it('refuses a billion-laughs payload without expanding anything', () => {
    const lols = Array.from({ length: 9 }, (_, i) => {
      const prev = i === 0 ? 'lol' : `&lol${i};`.repeat(10);
      return `<!ENTITY lol${i + 1} "${prev}">`;
    }).join('\n');
    const payload = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n${lols}\n]>\n<DescribeJobResult><Job><JobId>j</JobId><Status>Active</Status><Description>&lol9;</Description></Job></DescribeJobResult>`;
    const error = expectInvalidResponse(() => parseDescribeJob(payload), /DTD or markup declaration/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('refuses external-entity payloads, in any case spelling', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ListJobsResult><NextToken>&xxe;</NextToken></ListJobsResult>`;
    expectInvalidResponse(() => parseListJobs(xxe), /DTD/);
    expectInvalidResponse(() => parseListJobs(xxe.replace('DOCTYPE', 'doctype')), /DTD/);
    expectInvalidResponse(() => parseListJobs('<!ENTITY x "y"><ListJobsResult/>'), /DTD/);
  });

  it('keeps CDATA content literal (no entity decoding inside it)', () => {
    const job = parseDescribeJob(
      describeWith('<Description><![CDATA[a &amp; <b>]]> tail &amp;</Description>'),
    );
    expect(job.description).toBe('a &amp; <b> tail &');
  });

  it('ignores comments and the XML declaration', () => {
    const job = parseDescribeJob(
      `<?xml version="1.0"?><!-- hello --><DescribeJobResult><Job><!-- x --><JobId>j</JobId><Status>New</Status></Job></DescribeJobResult>`,
    );
    expect(job.id).toBe('j');
  });
});

describe('bodies that are not COS XML', () => {
  it('reports truncated XML as InvalidResponse with the position', () => {
    const truncated = DESCRIBE_SAMPLE.slice(0, DESCRIBE_SAMPLE.length / 2);
    expectInvalidResponse(() => parseDescribeJob(truncated), /not well-formed XML/);
  });

  it('reports HTML and plain text as InvalidResponse with the start of the body', () => {
    const html =
      '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
    const error = expectInvalidResponse(() => parseListJobs(html), /not well-formed XML/);
    expect(error.message).toContain('502 Bad Gateway');
    expectInvalidResponse(() => parseListJobs('upstream connect error'), /not well-formed XML/);
    expectInvalidResponse(() => parseListJobs(''), /empty/);
    expectInvalidResponse(
      () => parseListJobs('<html><body>ok</body></html>'),
      /Expected a <ListJobsResult>.*html/,
    );
  });

  it('refuses an oversize body before parsing', () => {
    const huge = `<ListJobsResult><Jobs>${member('x').repeat(Math.ceil(MAX_RESPONSE_BYTES / 300))}</Jobs></ListJobsResult>`;
    expect(huge.length).toBeGreaterThan(MAX_RESPONSE_BYTES);
    const error = expectInvalidResponse(() => parseListJobs(huge), /larger than/);
    expect(error.retryable).toBe(false); // the same request would bring the same body back
  });

  it('stops reading a streamed body as soon as it exceeds the limit', async () => {
    let pulled = 0;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield new Uint8Array(64 * 1024);
      }
    }
    await expect(readLimitedText(chunks())).rejects.toMatchObject({
      code: 'InvalidResponse',
      retryable: false,
    });
    expect(pulled).toBe(17); // 16 chunks are exactly 1 MiB; the 17th crosses the limit
    expect(
      await readLimitedText(
        (async function* () {
          yield Buffer.from('<a>');
          yield '中</a>';
        })(),
      ),
    ).toBe('<a>中</a>');
  });

  it('rejects absurd nesting instead of recursing without bound', () => {
    const deep = `${'<a>'.repeat(200)}x${'</a>'.repeat(200)}`;
    expectInvalidResponse(() => parseXmlDocument(deep), /could not be parsed/);
  });
});

describe('parseCosError', () => {
  it('maps a COS <Error> body and prefers its request id', () => {
    const error = parseCosError(
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>NoSuchJob</Code><Message>The specified job does not exist</Message><Resource>/jobs/x</Resource><RequestId>body-id</RequestId><TraceId>trace-1</TraceId></Error>',
      404,
      { 'x-cos-request-id': 'header-id' },
      'DescribeJob',
    );
    expect(error).toMatchObject({
      code: 'NoSuchJob',
      message: 'The specified job does not exist',
      httpStatus: 404,
      requestId: 'body-id',
      traceId: 'trace-1',
      resource: '/jobs/x',
      api: 'DescribeJob',
      retryable: false,
    });
    expect(error.explanation).toMatch(/no job with this id/);
  });

  it('falls back to the x-cos-request-id and x-cos-trace-id headers', () => {
    const error = parseCosError(
      '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      503,
      {
        'x-cos-request-id': 'NjQ-header',
        'x-cos-trace-id': 'trace-h',
      },
    );
    expect(error).toMatchObject({
      code: 'SlowDown',
      requestId: 'NjQ-header',
      traceId: 'trace-h',
      retryable: true,
    });
  });

  it('turns HTML, empty and truncated error bodies into InvalidResponse with status and body start', () => {
    const html = parseCosError('<html><body><h1>502 Bad Gateway</h1></body></html>', 502, {}, 'ListJobs');
    expect(html).toMatchObject({ code: 'InvalidResponse', httpStatus: 502, retryable: true });
    expect(html.message).toMatch(/HTTP 502.*502 Bad Gateway/);
    const empty = parseCosError('', 503, { 'x-cos-request-id': 'r1' });
    expect(empty).toMatchObject({ code: 'InvalidResponse', httpStatus: 503, requestId: 'r1' });
    expect(empty.message).toMatch(/empty body/);
    const truncated = parseCosError('<Error><Code>NoSuchJob</Co', 404, {});
    expect(truncated).toMatchObject({ code: 'InvalidResponse', httpStatus: 404, retryable: false });
    const notError = parseCosError('<Other><Code>X</Code></Other>', 400, {});
    expect(notError.code).toBe('InvalidResponse');
  });

  it('never echoes signature material a server puts in its message', () => {
    const error = parseCosError(
      '<Error><Code>SignatureDoesNotMatch</Code><Message>bad: q-sign-algorithm=sha1&amp;q-ak=AKIDx&amp;q-sign-time=1;2&amp;q-key-time=1;2&amp;q-header-list=host&amp;q-url-param-list=&amp;q-signature=0123456789abcdef0123456789abcdef01234567 StringToSign sha1\n1557989151;1557996351\n8b2751e77f43a0995d6e9eb9477f4b685cca4172</Message></Error>',
      403,
      {},
    );
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.message).not.toContain('0123456789abcdef0123456789abcdef01234567');
    expect(error.message).not.toContain('8b2751e77f43a0995d6e9eb9477f4b685cca4172');
    expect(error.message).toContain('[authorization redacted]');
  });
});
