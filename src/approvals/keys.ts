/**
 * Redis keys of the approval engine. Keys that one script touches together share a hash tag
 * (`{...}`), so the same code runs on Redis Cluster.
 */
export class EngineKeys {
  constructor(private readonly prefix: string) {}

  private jobTag(region: string, jobId: string): string {
    return `{${this.prefix}:job:${region}:${jobId}}`;
  }

  /** Hash: what was shown when the card was posted, the card's location, follow-up state. */
  jobRecord(region: string, jobId: string): string {
    return `${this.jobTag(region, jobId)}:record`;
  }
  /** String with expiry: who is acting on the job right now (first writer wins). */
  claim(region: string, jobId: string): string {
    return `${this.jobTag(region, jobId)}:claim`;
  }
  /** Set: distinct approvers who voted to approve. */
  votes(region: string, jobId: string): string {
    return `${this.jobTag(region, jobId)}:votes`;
  }
  /** String: the final decision once COS accepted it. */
  decision(region: string, jobId: string): string {
    return `${this.jobTag(region, jobId)}:decision`;
  }
  /** Hash: intent id → intent, for acts whose result has not been recorded yet. */
  intents(): string {
    return `${this.prefix}:intents`;
  }
  /** Set: `region|jobId` of jobs cosjob announced and that are not finished. */
  tracked(): string {
    return `${this.prefix}:tracked`;
  }
  leader(name: string): string {
    return `${this.prefix}:leader:${name}`;
  }
}

export function trackedMember(region: string, jobId: string): string {
  return `${region}|${jobId}`;
}

export function parseTrackedMember(member: string): { region: string; jobId: string } | undefined {
  const bar = member.indexOf('|');
  if (bar <= 0) return undefined;
  return { region: member.slice(0, bar), jobId: member.slice(bar + 1) };
}
