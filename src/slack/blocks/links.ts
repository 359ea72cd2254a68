/**
 * Links on a card, built only from parts that pass validation, with the URL API doing the encoding.
 *
 * A manifest's ObjectArn has the form `qcs::cos:<region>:uid/<appid>:<bucket>/<key>`, where `<bucket>`
 * is the full bucket name `<name>-<appid>` (e.g. `qcs::cos:ap-chengdu:uid/1250000000:sourcebucket-1250000000/manifests/x.csv`),
 * and COS serves an object at `https://<bucket>.cos.<region>.myqcloud.com/<key>` (the host COS's request
 * signature examples sign for object requests, over https as in every official example).
 *
 * The COS console's batch-operations page has no documented URL form, so cards carry no console link.
 */
import { isValidRegion } from '../../cos/region.js';

const OBJECT_ARN = /^qcs::cos:([^:]+):uid\/(\d{1,20}):([^/]+)\/(.+)$/s;
/** Bucket names are lowercase letters, digits and hyphens, ending in `-<appid>`. */
const BUCKET = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?-\d{1,20}$/;
const MAX_KEY_BYTES = 850;
// Control characters would make the link ambiguous to a reader even though they would be encoded.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface ManifestObject {
  region: string;
  bucket: string;
  key: string;
}

/** The manifest's region, bucket and key, or undefined when the ARN is not one cosjob can link safely. */
export function parseManifestArn(objectArn: string): ManifestObject | undefined {
  const match = OBJECT_ARN.exec(objectArn);
  if (!match) return undefined;
  const [, region, , bucket, key] = match as unknown as [string, string, string, string, string];
  if (!isValidRegion(region) || !BUCKET.test(bucket)) return undefined;
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES || CONTROL.test(key)) return undefined;
  // A URL resolves `.` and `..` segments, which would point the link at another object.
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  return { region, bucket, key };
}

/** `https://<bucket>.cos.<region>.myqcloud.com/<key>`, each key segment percent-encoded. */
export function manifestObjectUrl(objectArn: string): string | undefined {
  const object = parseManifestArn(objectArn);
  if (!object) return undefined;
  const url = new URL(`https://${object.bucket}.cos.${object.region}.myqcloud.com/`);
  url.pathname = `/${object.key.split('/').map(encodeURIComponent).join('/')}`;
  return url.toString();
}
