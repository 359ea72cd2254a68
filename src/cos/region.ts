/**
 * COS region names: the one format rule every layer uses (configuration, Slack button values, audit
 * entries, the client), the regions Tencent documents, and a suggestion for a misspelt name.
 */

// A region is the `<Region>` label of `<UIN>.cos-control.<Region>.myqcloud.com`: lowercase words joined by
// hyphens (ap-guangzhou, ap-shanghai-fsi). The format is checked rather than the list, so a region Tencent
// opens later works without a code change.
const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+){1,3}$/;
export const MAX_REGION_LENGTH = 40;

export function isValidRegion(region: string): boolean {
  return REGION_PATTERN.test(region) && region.length <= MAX_REGION_LENGTH;
}

/**
 * The COS regions in Tencent Cloud's COS documentation, "Regions and Access Endpoints": the public regions
 * of the Chinese mainland (ap-beijing-1 is Beijing Zone 1, kept for buckets created there), the financial
 * regions (-fsi, open to financial customers only), and the regions outside the mainland. ap-mumbai and
 * na-toronto were listed by earlier versions of that page and are kept so existing setups still match.
 */
export const KNOWN_COS_REGIONS = [
  'ap-beijing-1',
  'ap-beijing',
  'ap-nanjing',
  'ap-shanghai',
  'ap-guangzhou',
  'ap-chengdu',
  'ap-chongqing',
  'ap-shenzhen-fsi',
  'ap-shanghai-fsi',
  'ap-beijing-fsi',
  'ap-hongkong',
  'ap-singapore',
  'ap-jakarta',
  'ap-seoul',
  'ap-bangkok',
  'ap-tokyo',
  'ap-mumbai',
  'na-siliconvalley',
  'na-ashburn',
  'na-toronto',
  'sa-saopaulo',
  'eu-frankfurt',
] as const;

export type KnownCosRegion = (typeof KNOWN_COS_REGIONS)[number];

const KNOWN = new Set<string>(KNOWN_COS_REGIONS);

export function isKnownRegion(region: string): region is KnownCosRegion {
  return KNOWN.has(region);
}

/** Levenshtein distance: insertions, deletions and substitutions of one character each count 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Three edits cover a dropped `ap-`, a doubled or missing letter and a swapped pair. */
export const SUGGESTION_DISTANCE = 3;

/**
 * The documented region closest to a name that is not one, when it is close enough to be a typo
 * ("ap-guanzhou" → "ap-guangzhou"); undefined for a known region or one far from every known name.
 */
export function closestKnownRegion(name: string): KnownCosRegion | undefined {
  const candidate = name.trim().toLowerCase();
  if (isKnownRegion(candidate)) return candidate === name ? undefined : candidate;
  let best: { region: KnownCosRegion; distance: number } | undefined;
  for (const region of KNOWN_COS_REGIONS) {
    const distance = editDistance(candidate, region);
    if (distance <= SUGGESTION_DISTANCE && (best === undefined || distance < best.distance)) {
      best = { region, distance };
    }
  }
  return best?.region;
}
