/** Members of the tracked-jobs set: `region|jobId` (neither part can contain `|`). */
export function trackedMember(region: string, jobId: string): string {
  return `${region}|${jobId}`;
}

export function parseTrackedMember(member: string): { region: string; jobId: string } | undefined {
  const bar = member.indexOf('|');
  if (bar <= 0) return undefined;
  return { region: member.slice(0, bar), jobId: member.slice(bar + 1) };
}
