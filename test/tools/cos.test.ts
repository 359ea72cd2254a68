/** The test tooling's CreateJob body and the answers of the two APIs only tests call. */
import { describe, expect, it } from 'vitest';
import { CosValidationError } from '../../src/cos/errors.js';
import { parseXmlDocument } from '../../src/cos/xml/document.js';
import { buildCreateJobRequest, type CreateJobInput } from '../../tools/cos/create-job-xml.js';
import { parseCreateJob, parseUpdateJobPriority } from '../../tools/cos/test-client.js';

describe('CreateJob and UpdateJobPriority answers', () => {
  it('parses CreateJob and UpdateJobPriority results', () => {
    expect(parseCreateJob('<CreateJobResult><JobId>007</JobId></CreateJobResult>')).toBe('007');
    expect(
      parseUpdateJobPriority(
        '<UpdateJobPriorityResult><JobId>j1</JobId><Priority>42</Priority></UpdateJobPriorityResult>',
      ),
    ).toEqual({
      jobId: 'j1',
      priority: 42,
    });
  });
});

describe('buildCreateJobRequest', () => {
  const input: CreateJobInput = {
    clientRequestToken: 'token-1',
    confirmationRequired: true,
    description: `a <b> & "c" 'd' 中文`,
    priority: 10,
    roleArn: 'qcs::cam::uin/100000000001:roleName/COS_Batch_QcsRole',
    manifest: {
      objectArn: 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/m.csv',
      etag: '"abc123"',
    },
    operation: {
      kind: 'COSPutObjectCopy',
      targetResource: 'qcs::cos:ap-guangzhou:uid/1250000000:dst-1250000000',
      storageClass: 'STANDARD_IA',
      extra: { MetadataDirective: 'Copy', 'NewObjectMetadata.CacheControl': 'max-age=60' },
    },
    report: {
      bucket: 'qcs::cos:ap-guangzhou:uid/1250000000:rep-1250000000',
      enabled: true,
      prefix: 'r/',
      reportScope: 'FailedTasksOnly',
    },
  };

  it('builds well-formed XML that round-trips through the parser with escaping intact', () => {
    const xml = buildCreateJobRequest(input);
    expect(xml).toContain('<Description>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; 中文</Description>');
    expect(xml).toContain('<ETag>&quot;abc123&quot;</ETag>');
    const document = parseXmlDocument(xml) as { CreateJobRequest: Record<string, unknown> };
    const request = document.CreateJobRequest;
    expect(request.Description).toBe(input.description);
    expect(request.ConfirmationRequired).toBe('true');
    expect(request.Priority).toBe('10');
    expect(request.Manifest).toEqual({
      Location: { ETag: '"abc123"', ObjectArn: input.manifest.objectArn },
      Spec: { Fields: { member: ['Bucket', 'Key'] }, Format: 'COSBatchOperations_CSV_V1' },
    });
    expect(request.Operation).toEqual({
      COSPutObjectCopy: {
        TargetResource: 'qcs::cos:ap-guangzhou:uid/1250000000:dst-1250000000',
        StorageClass: 'STANDARD_IA',
        MetadataDirective: 'Copy',
        NewObjectMetadata: { CacheControl: 'max-age=60' },
      },
    });
    expect(request.Report).toEqual({
      Bucket: 'qcs::cos:ap-guangzhou:uid/1250000000:rep-1250000000',
      Enabled: 'true',
      Format: 'Report_CSV_V1',
      Prefix: 'r/',
      ReportScope: 'FailedTasksOnly',
    });
  });

  it('builds the other operation kinds', () => {
    const restore = buildCreateJobRequest({
      ...input,
      operation: { kind: 'COSInitiateRestoreObject', expirationInDays: 7, jobTier: 'Bulk' },
    });
    expect(restore).toContain(
      '<COSInitiateRestoreObject><ExpirationInDays>7</ExpirationInDays><JobTier>Bulk</JobTier></COSInitiateRestoreObject>',
    );
    const { report: _report, ...withoutReport } = input;
    const del = buildCreateJobRequest({ ...withoutReport, operation: { kind: 'COSDeleteObject' } });
    expect(del).toContain('<Operation><COSDeleteObject></COSDeleteObject></Operation>');
    expect(del).not.toContain('<Report>');
    const tags = buildCreateJobRequest({
      ...input,
      operation: { kind: 'COSPutObjectTagging', tags: [{ key: 'k&', value: 'v' }] },
    });
    expect(tags).toContain('<COSTag><Key>k&amp;</Key><Value>v</Value></COSTag>');
  });

  it('refuses input COS would reject or XML cannot carry', () => {
    const bad: [string, CreateJobInput][] = [
      ['clientRequestToken', { ...input, clientRequestToken: '' }],
      ['clientRequestToken', { ...input, clientRequestToken: 'x'.repeat(65) }],
      ['description', { ...input, description: '中'.repeat(86) }],
      ['description', { ...input, description: 'bell\u0007' }],
      ['priority', { ...input, priority: -1 }],
      [
        'operation.expirationInDays',
        { ...input, operation: { kind: 'COSInitiateRestoreObject', expirationInDays: 0, jobTier: 'Bulk' } },
      ],
      [
        'operation.extra',
        { ...input, operation: { kind: 'COSPutObjectCopy', targetResource: 't', extra: { 'a><b': 'x' } } },
      ],
      [
        'operation.extra',
        {
          ...input,
          operation: { kind: 'COSPutObjectCopy', targetResource: 't', extra: { TargetResource: 'x' } },
        },
      ],
    ];
    for (const [field, value] of bad) {
      let caught: unknown;
      try {
        buildCreateJobRequest(value);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(CosValidationError);
      expect((caught as CosValidationError).field).toBe(field);
    }
  });
});
