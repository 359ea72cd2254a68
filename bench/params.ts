/** How long and how often each suite measures: the full run (~1–2 min on 2 cores) and `--quick` (smoke). */

export interface TimedParams {
  /** Length of one repetition. */
  durationMs: number;
  repetitions: number;
  warmupMs: number;
}

export interface BenchParams {
  /** Pure functions: signing, XML, Block Kit. */
  micro: TimedParams;
  /** Requests to the emulator over loopback. */
  http: TimedParams;
  audit: TimedParams & {
    /** Entries in the chain that `verify` walks. */
    verifyEntries: number;
    verifyRepetitions: number;
  };
  decisions: {
    /** Announced jobs approved per repetition (the brief's 200). */
    jobs: number;
    repetitions: number;
    concurrency: number;
    /** Rounds of simultaneous clicks on one job. */
    contentionRounds: number;
    /** Clicks per round (the brief's 20). */
    contentionClicks: number;
  };
  /** Entries rendered by auditTrailMessage (the brief's 1,000, also in quick mode: the size is the point). */
  auditTrailEntries: number;
  /** Members of the ListJobs page parsed by the XML suite (the API's maximum, 1000). */
  listJobsMembers: number;
}

export const FULL_PARAMS: BenchParams = {
  micro: { durationMs: 250, repetitions: 5, warmupMs: 200 },
  http: { durationMs: 250, repetitions: 5, warmupMs: 200 },
  audit: { durationMs: 300, repetitions: 5, warmupMs: 200, verifyEntries: 10_000, verifyRepetitions: 3 },
  decisions: { jobs: 200, repetitions: 3, concurrency: 20, contentionRounds: 10, contentionClicks: 20 },
  auditTrailEntries: 1_000,
  listJobsMembers: 1_000,
};

export const QUICK_PARAMS: BenchParams = {
  micro: { durationMs: 25, repetitions: 2, warmupMs: 10 },
  http: { durationMs: 25, repetitions: 2, warmupMs: 10 },
  audit: { durationMs: 25, repetitions: 2, warmupMs: 10, verifyEntries: 200, verifyRepetitions: 1 },
  decisions: { jobs: 20, repetitions: 1, concurrency: 20, contentionRounds: 2, contentionClicks: 20 },
  auditTrailEntries: 1_000,
  listJobsMembers: 1_000,
};
