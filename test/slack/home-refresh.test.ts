/**
 * The Home tab's refreshes after decisions, spaced per person (HomeTab.refreshIntervalMs): the real
 * engine on Redis and the COS emulator makes the decisions, the real WebClient publishes to the fake
 * Slack. The runtime does not expose the interval, so this is tested at the HomeTab level. The engine's
 * clock is a manual one: "within the interval" is decided by it, never by how fast the machine is.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRef } from '../../src/jobs/job-ref.js';
import { silentLogger } from '../../src/logger.js';
import { RegionHealthStore } from '../../src/observability/region-health.js';
import { HomeTab } from '../../src/slack/home.js';
import { REGIONS } from '../helpers/cos-fixture.js';
import { actor, type EngineFixture, useEngineStack } from '../helpers/engine-fixture.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { useRedis } from '../helpers/redis.js';

const TOKEN = 'xoxb-home-refresh-0000-test';
const REGION = REGIONS[0];
const ALICE = 'UALICE';
const BOB = 'UBOB';
/** Far longer than any test: a refresh waiting for it is only made by idle() or a test's own wait. */
const LONG = 60 * 60_000;

const redisCtx = useRedis();
const stack = useEngineStack(redisCtx);
let slack: FakeSlack;
let home: HomeTab | undefined;
let unsubscribe: (() => void) | undefined;

beforeEach(async () => {
  slack = await startFakeSlack({ expectedToken: TOKEN });
});
afterEach(async () => {
  unsubscribe?.();
  home?.stop();
  await home?.idle();
  home = undefined;
  await slack.close();
});

async function homeWith(refreshIntervalMs: number): Promise<{ fx: EngineFixture; home: HomeTab }> {
  const fx = await stack.engine();
  home = new HomeTab({
    engine: fx.engine,
    client: new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
    regionHealth: new RegionHealthStore(fx.redis, redisCtx.keyPrefix),
    pollIntervalMs: 60_000,
    clock: stack.cos.clock,
    logger: silentLogger,
    refreshIntervalMs,
  });
  unsubscribe = home.subscribe();
  return { fx, home };
}

async function announced(fx: EngineFixture, count: number): Promise<JobRef[]> {
  const refs: JobRef[] = [];
  for (let i = 0; i < count; i += 1) {
    const jobId = stack.cos.createSuspendedJob(REGION);
    const job = await stack.cos.clients.get(REGION)!.describeJob(jobId);
    await fx.records.createIfAbsent({ account: 'default', region: REGION }, job, stack.cos.clock.now());
    refs.push({ account: 'default', region: REGION, jobId });
  }
  return refs;
}

async function approve(fx: EngineFixture, ref: JobRef, by: string): Promise<void> {
  const outcome = await fx.engine.decide({
    ...ref,
    action: 'approve',
    actor: actor(by),
    source: 'slack-button',
  });
  expect(outcome.kind).toBe('approved');
}

const publishes = (userId: string): number => slack.homeView(userId)?.publishes ?? 0;
const homeText = (userId: string): string => JSON.stringify(slack.homeView(userId)?.view.blocks ?? []);
const untilPublishes = (userId: string, count: number) =>
  slack.waitFor((fake) => (fake.homeView(userId)?.publishes ?? 0) >= count);

describe('Home refreshes after decisions', () => {
  it("a run of one person's decisions: one publish at once, one more for the rest, made by idle()", async () => {
    const { fx, home } = await homeWith(LONG);
    const [a, b, c] = (await announced(fx, 3)) as [JobRef, JobRef, JobRef];

    await approve(fx, a, ALICE);
    await untilPublishes(ALICE, 1);
    expect(publishes(ALICE)).toBe(1);
    expect(homeText(ALICE)).toContain(`Approved \`${a.jobId}\``);
    expect(homeText(ALICE)).toContain('Waiting for approval (2)');

    // Two more decisions in quick succession (the clock has not moved): they wait for one refresh.
    await approve(fx, b, ALICE);
    await approve(fx, c, ALICE);
    await home.idle();
    expect(publishes(ALICE)).toBe(2);
    // That one refresh was read after the last decision: it shows all three.
    for (const ref of [a, b, c]) expect(homeText(ALICE)).toContain(`Approved \`${ref.jobId}\``);
    expect(homeText(ALICE)).toContain('Waiting for approval (0)');

    // Nothing is left waiting.
    await home.idle();
    expect(publishes(ALICE)).toBe(2);
    expect(slack.callsTo('views.publish').map((call) => call.params.user_id)).toEqual([ALICE, ALICE]);
  });

  it('the waiting refresh is made by itself at the end of the interval', async () => {
    // A short interval in real time; the manual clock stands still, so the second decision is within it.
    const { fx, home } = await homeWith(50);
    const [a, b] = (await announced(fx, 2)) as [JobRef, JobRef];
    await approve(fx, a, ALICE);
    await untilPublishes(ALICE, 1);
    await approve(fx, b, ALICE);
    await untilPublishes(ALICE, 2);
    expect(homeText(ALICE)).toContain(`Approved \`${b.jobId}\``);
    await home.idle();
    expect(publishes(ALICE)).toBe(2);
  });

  it('once the interval has passed by the clock, the next refresh is made at once', async () => {
    const { fx } = await homeWith(LONG);
    const [a, b] = (await announced(fx, 2)) as [JobRef, JobRef];
    await approve(fx, a, ALICE);
    await untilPublishes(ALICE, 1);
    stack.cos.clock.advance(LONG);
    await approve(fx, b, ALICE);
    // Without idle(): this publish comes by itself, right after the decision.
    await untilPublishes(ALICE, 2);
    expect(homeText(ALICE)).toContain(`Approved \`${b.jobId}\``);
  });

  it('spaces each person apart: one approver waiting does not hold up another', async () => {
    const { fx, home } = await homeWith(LONG);
    const [a, b, c] = (await announced(fx, 3)) as [JobRef, JobRef, JobRef];
    await approve(fx, a, ALICE);
    await untilPublishes(ALICE, 1);
    await approve(fx, b, ALICE);
    // Alice's second refresh waits; Bob's first is made at once.
    await approve(fx, c, BOB);
    await untilPublishes(BOB, 1);
    expect(publishes(ALICE)).toBe(1);
    expect(homeText(BOB)).toContain(`Approved \`${c.jobId}\``);
    await home.idle();
    expect(publishes(ALICE)).toBe(2);
    expect(publishes(BOB)).toBe(1);
  });

  it('stop() drops the refreshes still waiting for their turn', async () => {
    const { fx, home } = await homeWith(LONG);
    const [a, b] = (await announced(fx, 2)) as [JobRef, JobRef];
    await approve(fx, a, ALICE);
    await untilPublishes(ALICE, 1);
    await approve(fx, b, ALICE);
    home.stop();
    await home.idle();
    expect(publishes(ALICE)).toBe(1);
  });
});
