/** How long and how often each suite measures: the full run (~1–2 min on 2 cores) and `--quick` (smoke). */

export interface TimedParams {
  /** Length of one repetition. */
  durationMs: number;
  repetitions: number;
  warmupMs: number;
}

/** cosjob as a black box (bench/suites/app.ts): the click storm, discovery at scale, footprint. */
export interface AppParams {
  /**
   * SLACK_POST_INTERVAL_MS given to cosjob: the fake Slack has no per-channel limit, so cards need not
   * wait Slack's ~1.1 s each (100 cards took ~110 s of every run before the setting existed).
   */
  postIntervalMs: number;
  /** Waiting jobs clicked on in the storm (the 100). */
  stormJobs: number;
  /** Distinct approvers, each clicking Approve once on every job (the 5). */
  approvers: number;
  /** Clicks in flight (the 20). */
  inFlight: number;
  /** The storm is sent in this many rounds, alternating which app goes first. */
  rounds: number;
  /** Jobs in the emulator for discovery (the 10,000) and how many of them wait (1,000). */
  discoveryJobs: number;
  discoveryWaiting: number;
  /** One Approve click every this many milliseconds while the first cycle runs. */
  discoveryClickIntervalMs: number;
  /** Give up on discovery after this long (a stuck cycle must not hang the bench). */
  discoveryTimeoutS: number;
}

export const FULL_APP_PARAMS: AppParams = {
  postIntervalMs: 20,
  stormJobs: 100,
  approvers: 5,
  inFlight: 20,
  rounds: 4,
  discoveryJobs: 10_000,
  discoveryWaiting: 1_000,
  discoveryClickIntervalMs: 100,
  discoveryTimeoutS: 240,
};

export const QUICK_APP_PARAMS: AppParams = {
  postIntervalMs: 20,
  stormJobs: 3,
  approvers: 5,
  inFlight: 20,
  rounds: 2,
  discoveryJobs: 500,
  discoveryWaiting: 50,
  discoveryClickIntervalMs: 100,
  discoveryTimeoutS: 60,
};

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
  app: AppParams;
}

export const FULL_PARAMS: BenchParams = {
  micro: { durationMs: 250, repetitions: 5, warmupMs: 200 },
  http: { durationMs: 250, repetitions: 5, warmupMs: 200 },
  audit: { durationMs: 300, repetitions: 5, warmupMs: 200, verifyEntries: 10_000, verifyRepetitions: 3 },
  decisions: { jobs: 200, repetitions: 3, concurrency: 20, contentionRounds: 10, contentionClicks: 20 },
  auditTrailEntries: 1_000,
  listJobsMembers: 1_000,
  app: FULL_APP_PARAMS,
};

export const QUICK_PARAMS: BenchParams = {
  micro: { durationMs: 25, repetitions: 2, warmupMs: 10 },
  http: { durationMs: 25, repetitions: 2, warmupMs: 10 },
  audit: { durationMs: 25, repetitions: 2, warmupMs: 10, verifyEntries: 200, verifyRepetitions: 1 },
  decisions: { jobs: 20, repetitions: 1, concurrency: 20, contentionRounds: 2, contentionClicks: 20 },
  auditTrailEntries: 1_000,
  listJobsMembers: 1_000,
  app: QUICK_APP_PARAMS,
};
