import type { AuditActor } from '../audit/types.js';
import type { Job, JobFailure, JobProgress, JobStatus } from '../cos/model.js';
import type { Logger } from '../logger.js';
import type { DecisionOutcome, DecisionRequest } from './decision.js';

/** Either a single Redis or a Cluster: the engine only uses commands both offer, with keys in one slot. */
export type { RedisClient } from '../redis/connection.js';

/** Resolves Slack user-group membership; the Slack layer implements it with usergroups.users.list. */
export interface ApproverDirectory {
  membersOf(usergroupId: string): Promise<readonly string[]>;
}

export const SYSTEM_ACTOR: AuditActor = { id: 'system', name: 'cosjob' };

/** What the watcher reports; the Slack layer (and the demo, CLI and tests) subscribe. */
export interface EngineEventMap {
  job_pending: {
    account: string;
    region: string;
    job: Job;
    redelivery: boolean;
    /** The channel chosen for its card at an earlier announcement (a redelivery): it stays there. */
    channel?: string;
  };
  job_progress: { account: string; region: string; job: Job; previousStatus: JobStatus };
  job_finished: {
    account: string;
    region: string;
    job: Job;
    status: JobStatus;
    progress: JobProgress;
    failureReasons: JobFailure[];
  };
  job_changed_outside: { account: string; region: string; job: Job; previousStatus: JobStatus };
  job_reminder: { account: string; region: string; jobId: string; waitingMinutes: number };
  job_expired: { account: string; region: string; jobId: string; hours: number; outcome: string };
  /** A waiting job now falls under another rule (the rules changed): its card says so. */
  job_rule_changed: { account: string; region: string; jobId: string; rule: string };
  /** Every outcome of decide(), refusals and failures included. */
  decision_made: { request: DecisionRequest; outcome: DecisionOutcome };
  /**
   * An (account, region) pair's discovery step begins: the jobs it announces until its region_polled form
   * one burst.
   */
  region_discovery_started: { account: string; region: string };
  /**
   * One (account, region) pair's discovery step of a poll: `skipped` while it backs off after failures. `failures` counts
   * failed polls in a row (0 after a success); `suspended` is how many Suspended jobs COS listed.
   */
  region_polled: {
    account: string;
    region: string;
    result: 'ok' | 'error' | 'skipped';
    failures: number;
    suspended?: number;
    error?: unknown;
  };
  job_decided: {
    account: string;
    region: string;
    jobId: string;
    action: 'approve' | 'cancel';
    actor: AuditActor;
    cosStatus?: string;
  };
  /** The reconciler settled an intent a crash left behind: the card must show what COS now says. */
  job_reconciled: {
    account: string;
    region: string;
    jobId: string;
    action: 'approve' | 'cancel';
    applied: boolean;
    cosStatus: string;
  };
}

export type EngineEventName = keyof EngineEventMap;
type Handler<K extends EngineEventName> = (event: EngineEventMap[K]) => Promise<void> | void;

/**
 * An event emitter whose emit awaits every handler, so the watcher only records an event as delivered
 * after its subscribers have handled it. A failing handler is logged and does not stop the others.
 */
export class EngineEvents {
  private readonly handlers = new Map<EngineEventName, Handler<EngineEventName>[]>();
  constructor(private readonly logger: Logger) {}

  on<K extends EngineEventName>(name: K, handler: Handler<K>): () => void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler<EngineEventName>);
    this.handlers.set(name, list);
    return () => {
      const current = this.handlers.get(name) ?? [];
      this.handlers.set(
        name,
        current.filter((h) => h !== handler),
      );
    };
  }

  async emit<K extends EngineEventName>(name: K, event: EngineEventMap[K]): Promise<boolean> {
    let allOk = true;
    for (const handler of this.handlers.get(name) ?? []) {
      try {
        await handler(event);
      } catch (error) {
        allOk = false;
        this.logger.error(`handler for ${name} failed`, { error });
      }
    }
    return allOk;
  }
}
