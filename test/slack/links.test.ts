/** Card links: the manifest object's URL from a validated ObjectArn, and nothing from anything else. */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/cos/model.js';
import { jobCard } from '../../src/slack/blocks/job-card.js';
import { manifestObjectUrl, parseManifestArn } from '../../src/slack/blocks/links.js';
import { blockKitProblems } from '../helpers/fake-slack.js';
import { suspendedJob } from '../helpers/jobs.js';

const ARN = 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/manifests/m.csv';

function jobWithManifest(objectArn: string): Job {
  return suspendedJob({
    id: 'job-links-1',
    manifest: {
      location: { objectArn, etag: '"60e2bd1d8bc93e15fd1b7cd4c4bca7ea"' },
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
  });
}

describe('manifest object link', () => {
  it('reads region, bucket and key from the ObjectArn', () => {
    expect(parseManifestArn(ARN)).toEqual({
      region: 'ap-guangzhou',
      bucket: 'src-1250000000',
      key: 'manifests/m.csv',
    });
  });

  it('is the bucket’s COS object URL, each key segment percent-encoded', () => {
    expect(manifestObjectUrl(ARN)).toBe(
      'https://src-1250000000.cos.ap-guangzhou.myqcloud.com/manifests/m.csv',
    );
    const odd = 'qcs::cos:ap-chengdu:uid/1250000000:src-1250000000/a b/c|d>e?f#g&h=%/清单.csv';
    expect(manifestObjectUrl(odd)).toBe(
      'https://src-1250000000.cos.ap-chengdu.myqcloud.com/a%20b/c%7Cd%3Ee%3Ff%23g%26h%3D%25/%E6%B8%85%E5%8D%95.csv',
    );
  });

  it.each([
    ['not an ARN', 'https://evil.example/x'],
    ['a host in the region', 'qcs::cos:evil.example/x:uid/1250000000:src-1250000000/k'],
    ['a bucket with a dot', 'qcs::cos:ap-guangzhou:uid/1250000000:evil.example-1250000000/k'],
    ['a bucket with an @', 'qcs::cos:ap-guangzhou:uid/1250000000:a@evil-1250000000/k'],
    ['a bucket without its APPID', 'qcs::cos:ap-guangzhou:uid/1250000000:src/k'],
    ['an uppercase region', 'qcs::cos:AP-GUANGZHOU:uid/1250000000:src-1250000000/k'],
    ['no key', 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/'],
    ['a .. segment', 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/a/../other.csv'],
    ['a control character', 'qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/a\nb'],
    ['a key over 850 bytes', `qcs::cos:ap-guangzhou:uid/1250000000:src-1250000000/${'k'.repeat(851)}`],
  ])('is left out for %s', (_what, arn) => {
    expect(manifestObjectUrl(arn)).toBeUndefined();
  });

  it('is on the card, as valid Block Kit, and absent when the ARN cannot be linked', () => {
    const card = jobCard({
      account: 'default',
      region: 'ap-guangzhou',
      job: jobWithManifest(ARN),
      phase: { kind: 'pending' },
      approvals: { required: 1, voterIds: [] },
    });
    expect(blockKitProblems(card.blocks, 'message')).toEqual([]);
    expect(JSON.stringify(card.blocks)).toContain(
      '<https://src-1250000000.cos.ap-guangzhou.myqcloud.com/manifests/m.csv|Open the manifest object>',
    );
    const unlinked = jobCard({
      account: 'default',
      region: 'ap-guangzhou',
      job: jobWithManifest('qcs::cos:ap-guangzhou:uid/1250000000:evil.example-1/k'),
      phase: { kind: 'pending' },
      approvals: { required: 1, voterIds: [] },
    });
    expect(JSON.stringify(unlinked.blocks)).not.toContain('Open the manifest object');
  });
});
