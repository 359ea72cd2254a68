/**
 * Bucket globs: `*` is any run of characters, `?` one character, everything else itself. COS bucket names
 * are lowercase letters, digits and hyphens with no `/`, so path-aware globbing (`**`, braces, classes)
 * has nothing to add; the file's validation refuses those characters instead of giving them a meaning.
 */

export const BUCKET_GLOB = /^[a-z0-9*?-]{1,80}$/;

export function bucketGlobProblem(glob: string): string | undefined {
  return BUCKET_GLOB.test(glob)
    ? undefined
    : 'is not a bucket glob: use lowercase letters, digits, hyphens, * (any run) and ? (one character)';
}

export function globMatches(glob: string, name: string): boolean {
  const pattern = glob.replace(/[*?]|[^*?]+/g, (part) =>
    part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'),
  );
  return new RegExp(`^${pattern}$`, 's').test(name);
}
