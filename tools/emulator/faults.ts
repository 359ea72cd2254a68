import type { ApiName } from './routes.js';

/**
 * Fault injection. Rules are checked in the order they were added; latency rules that fire add up, and
 * the first failing rule that fires decides the failure. Rate-based choices come from a seeded PRNG, so
 * the same seed and the same request sequence give the same faults.
 */

export type FaultKind =
  | 'latency'
  | 'status5xx'
  | 'slowDown'
  | 'reset'
  | 'hang'
  | 'malformedXml'
  | 'htmlError';

export interface FaultRule {
  /** Which APIs the rule applies to; all when omitted. */
  api?: ApiName | ApiName[];
  kind: FaultKind;
  /** Probability 0..1 that the rule fires on a matching request; default 1. */
  rate?: number;
  /** The rule expires after firing this many times; unlimited when omitted. */
  times?: number;
  /** latency: how long to wait (real time) before answering. Required for latency. */
  latencyMs?: number;
  /** status5xx: 500 (InternalError, the default), 503 (ServiceUnavailable) or another 5xx. */
  statusCode?: number;
  /**
   * reset / hang / status5xx / malformedXml: apply the request's effect first, then fail. This is the
   * ambiguous case (did the status change happen?) the client must reconcile.
   */
  afterEffect?: boolean;
}

export const FAULT_KINDS: readonly FaultKind[] = [
  'latency',
  'status5xx',
  'slowDown',
  'reset',
  'hang',
  'malformedXml',
  'htmlError',
];

const AFTER_EFFECT_KINDS: ReadonlySet<FaultKind> = new Set(['reset', 'hang', 'status5xx', 'malformedXml']);

/** A failing fault chosen for one request. */
export interface ChosenFailure {
  kind: Exclude<FaultKind, 'latency'>;
  statusCode: number;
  afterEffect: boolean;
}

export interface FaultDecision {
  /** How many rules fired for this request. */
  fired: number;
  latencyMs: number;
  failure?: ChosenFailure;
}

export interface FaultHandle {
  readonly rule: Readonly<FaultRule>;
  /** How many more times the rule fires (Infinity when unlimited). */
  readonly remaining: number;
  remove(): void;
}

interface ActiveRule {
  rule: Readonly<FaultRule>;
  apis: ReadonlySet<ApiName> | undefined;
  rate: number;
  remaining: number;
}

const NO_FAULT: FaultDecision = Object.freeze({ fired: 0, latencyMs: 0 });

/** mulberry32: tiny, fast and good enough to pick faults reproducibly. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

function validate(rule: FaultRule): void {
  if (!FAULT_KINDS.includes(rule.kind)) {
    throw new FaultRuleError(
      `unknown fault kind "${String(rule.kind)}": use one of ${FAULT_KINDS.join(', ')}`,
    );
  }
  if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) {
    throw new FaultRuleError(`fault rate must be between 0 and 1, got ${rule.rate}`);
  }
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new FaultRuleError(`fault times must be a whole number above 0, got ${rule.times}`);
  }
  if (rule.kind === 'latency') {
    if (rule.latencyMs === undefined || !(Number.isFinite(rule.latencyMs) && rule.latencyMs >= 0)) {
      throw new FaultRuleError('a latency fault needs latencyMs (milliseconds, >= 0)');
    }
  }
  if (rule.statusCode !== undefined) {
    if (rule.kind !== 'status5xx') throw new FaultRuleError('statusCode only applies to status5xx faults');
    if (!(Number.isInteger(rule.statusCode) && rule.statusCode >= 500 && rule.statusCode <= 599)) {
      throw new FaultRuleError(`status5xx needs a statusCode from 500 to 599, got ${rule.statusCode}`);
    }
  }
  if (rule.afterEffect && !AFTER_EFFECT_KINDS.has(rule.kind)) {
    throw new FaultRuleError(`afterEffect only applies to ${[...AFTER_EFFECT_KINDS].join(', ')} faults`);
  }
}

function failureStatus(rule: FaultRule): number {
  switch (rule.kind) {
    case 'status5xx':
      return rule.statusCode ?? 500;
    case 'slowDown':
      return 503;
    case 'htmlError':
      return 502;
    default:
      return 200;
  }
}

export class FaultInjector {
  private active: ActiveRule[] = [];
  private random: () => number;
  /** How many faults fired since creation (or the last clear). */
  fired = 0;

  constructor(seed = 1) {
    this.random = mulberry32(seed);
  }

  /** Restarts the PRNG, so the next choices repeat a previous run with this seed. */
  reseed(seed: number): void {
    this.random = mulberry32(seed);
  }

  add(rule: FaultRule): FaultHandle {
    validate(rule);
    const frozen: Readonly<FaultRule> = Object.freeze({
      ...rule,
      ...(rule.api === undefined ? {} : { api: Array.isArray(rule.api) ? [...rule.api] : rule.api }),
    });
    const entry: ActiveRule = {
      rule: frozen,
      apis: rule.api === undefined ? undefined : new Set(Array.isArray(rule.api) ? rule.api : [rule.api]),
      rate: rule.rate ?? 1,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
    };
    this.active.push(entry);
    const injector = this;
    return {
      rule: frozen,
      get remaining() {
        return entry.remaining;
      },
      remove() {
        injector.active = injector.active.filter((e) => e !== entry);
      },
    };
  }

  clear(): void {
    this.active = [];
    this.fired = 0;
  }

  get rules(): readonly Readonly<FaultRule>[] {
    return this.active.map((e) => e.rule);
  }

  /** @internal Decides the faults for one request to `api`. */
  decide(api: ApiName): FaultDecision {
    if (this.active.length === 0) return NO_FAULT;
    let latencyMs = 0;
    let fired = 0;
    let failure: ChosenFailure | undefined;
    for (const entry of this.active) {
      if (entry.remaining <= 0) continue;
      if (entry.apis !== undefined && !entry.apis.has(api)) continue;
      if (entry.rule.kind !== 'latency' && failure !== undefined) continue;
      // rate 1 never consumes randomness, so adding a certain rule does not shift later choices.
      if (entry.rate < 1 && !(this.random() < entry.rate)) continue;
      entry.remaining -= 1;
      fired += 1;
      if (entry.rule.kind === 'latency') {
        latencyMs += entry.rule.latencyMs ?? 0;
      } else {
        failure = {
          kind: entry.rule.kind,
          statusCode: failureStatus(entry.rule),
          afterEffect: entry.rule.afterEffect === true,
        };
      }
    }
    if (this.active.some((e) => e.remaining <= 0)) this.active = this.active.filter((e) => e.remaining > 0);
    this.fired += fired;
    return failure === undefined ? { fired, latencyMs } : { fired, latencyMs, failure };
  }
}
