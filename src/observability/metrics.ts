/**
 * cosjob's Prometheus metrics: one Registry per process (or per test stack), holding prom-client's
 * default process metrics and the metrics below, served at /metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every cosjob metric name, for the dashboard test and the README. */
export const COSJOB_METRIC_NAMES = [
  'cosjob_decisions_total',
  'cosjob_refusals_total',
  'cosjob_cos_requests_total',
  'cosjob_cos_request_duration_seconds',
  'cosjob_poll_cycles_total',
  'cosjob_jobs_waiting',
  'cosjob_slack_api_calls_total',
  'cosjob_slack_rate_limited_total',
  'cosjob_audit_entries_total',
  'cosjob_leader',
] as const;

export class CosjobMetrics {
  readonly registry = new Registry();
  readonly decisions: Counter<'action' | 'outcome'>;
  readonly refusals: Counter<'code'>;
  readonly cosRequests: Counter<'api' | 'status'>;
  readonly cosRequestDuration: Histogram<'api'>;
  readonly pollCycles: Counter<'account' | 'region' | 'result'>;
  readonly jobsWaiting: Gauge<'account' | 'region'>;
  readonly slackApiCalls: Counter<'method' | 'result'>;
  readonly slackRateLimited: Counter;
  readonly auditEntries: Counter<'kind'>;
  readonly leader: Gauge;
  private isLeader: () => boolean = () => false;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.decisions = new Counter({
      name: 'cosjob_decisions_total',
      help: 'Outcomes of decide(): approved, cancelled, vote_recorded, refused, failed.',
      labelNames: ['action', 'outcome'],
      registers,
    });
    this.refusals = new Counter({
      name: 'cosjob_refusals_total',
      help: 'Refused decisions by refusal code (not_approver, busy, job_changed…).',
      labelNames: ['code'],
      registers,
    });
    this.cosRequests = new Counter({
      name: 'cosjob_cos_requests_total',
      help: 'HTTP attempts to the COS job API, by API and HTTP status (or the client failure code).',
      labelNames: ['api', 'status'],
      registers,
    });
    this.cosRequestDuration = new Histogram({
      name: 'cosjob_cos_request_duration_seconds',
      help: 'Duration of one HTTP attempt to the COS job API.',
      labelNames: ['api'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.pollCycles = new Counter({
      name: 'cosjob_poll_cycles_total',
      help: 'Discovery polls per account and region: ok, error, or skipped while backing off.',
      labelNames: ['account', 'region', 'result'],
      registers,
    });
    this.jobsWaiting = new Gauge({
      name: 'cosjob_jobs_waiting',
      help: 'Suspended jobs COS listed in the last successful poll of the account and region.',
      labelNames: ['account', 'region'],
      registers,
    });
    this.slackApiCalls = new Counter({
      name: 'cosjob_slack_api_calls_total',
      help: 'Slack Web API calls by method and result (ok, or the Slack error code).',
      labelNames: ['method', 'result'],
      registers,
    });
    this.slackRateLimited = new Counter({
      name: 'cosjob_slack_rate_limited_total',
      help: 'Slack Web API answers of HTTP 429 (rate limited).',
      registers,
    });
    this.auditEntries = new Counter({
      name: 'cosjob_audit_entries_total',
      help: 'Audit entries written, by kind (action).',
      labelNames: ['kind'],
      registers,
    });
    const self = this;
    this.leader = new Gauge({
      name: 'cosjob_leader',
      help: '1 on the replica holding the watcher lease, else 0.',
      registers,
      collect() {
        this.set(self.isLeader() ? 1 : 0);
      },
    });
  }

  /** The lease is read when scraped, so the gauge never lags a lost lease. */
  trackLeader(isLeader: () => boolean): void {
    this.isLeader = isLeader;
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
