/**
 * Backoff between attempts of a read (ListJobs, DescribeJob): exponential with full jitter, so replicas
 * that failed together do not retry together. State changes are never retried this way.
 */
export interface CosRetryOptions {
  /** Attempts per read (ListJobs, DescribeJob), first one included. Default 4. */
  maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. Default 200. */
  baseDelayMs?: number;
  /** Default 3000. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<CosRetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 3000,
};

/** The pause before the retry that follows failed attempt `attempt` (from 1), in milliseconds. */
export function backoffDelayMs(
  retry: Required<CosRetryOptions>,
  attempt: number,
  random: () => number,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}
