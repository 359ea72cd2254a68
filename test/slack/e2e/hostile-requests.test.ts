/**
 * Issue 9, receiver edges: correctly signed requests that are still not acceptable. A timestamp more
 * than five minutes ahead is refused like a stale one (401); a malformed body gets a short 400 and never
 * reaches a listener; a payload naming another team or app is refused (403) and audited.
 */
import { describe, expect, it } from 'vitest';
import { blockActionPayload, encodeBoltBody, signSlackRequest } from '../../helpers/slack-requests.js';
import { ALICE, CHANNEL, type E2E, SIGNING_SECRET, useE2E } from './harness.js';

const { start } = useE2E();
const nowSec = () => Math.floor(Date.now() / 1000);

function send(e2e: E2E, rawBody: string, headers: Record<string, string>): Promise<Response> {
  return fetch(e2e.eventsUrl, { method: 'POST', headers, body: rawBody });
}

function signed(rawBody: string, options: { timestamp?: number; contentType?: string } = {}) {
  return {
    ...signSlackRequest(SIGNING_SECRET, rawBody, options.timestamp),
    ...(options.contentType !== undefined ? { 'content-type': options.contentType } : {}),
  };
}

/** Nothing reached a listener: no Web API call, no COS change, the job's audit unchanged. */
async function nothingHappened(e2e: E2E, jobId: string, callsBefore: number): Promise<void> {
  await e2e.settled();
  expect(e2e.slack.calls.length).toBe(callsBefore);
  expect(e2e.statusUpdates()).toHaveLength(0);
  expect(await e2e.auditActions(jobId)).toEqual(['posted']);
  expect(e2e.logLines.join('\n')).not.toMatch(/unhandled/i);
}

describe('signed requests the receiver still refuses', () => {
  for (const [name, ahead] of [
    ['a year', 365 * 24 * 3600],
    ['301 seconds', 301],
  ] as const) {
    it(`refuses a correctly signed click dated ${name} in the future with 401`, async () => {
      const e2e = await start();
      const { jobId } = await e2e.pendingCard();
      const callsBefore = e2e.slack.calls.length;
      const raw = encodeBoltBody(e2e.clickPayload('cosjob_approve', { jobId }, ALICE), 'payload');
      const response = await send(e2e, raw, signed(raw, { timestamp: nowSec() + ahead }));
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('future');
      await nothingHappened(e2e, jobId, callsBefore);
    });
  }

  it('accepts a click signed a few seconds ahead (clock drift within five minutes)', async () => {
    const e2e = await start();
    const { jobId } = await e2e.pendingCard();
    const raw = encodeBoltBody(e2e.clickPayload('cosjob_approve', { jobId }, ALICE), 'payload');
    const response = await send(e2e, raw, signed(raw, { timestamp: nowSec() + 30 }));
    expect(response.status).toBe(200);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
  });

  const form = 'application/x-www-form-urlencoded';
  const MALFORMED: [string, string, string][] = [
    ['payload=null', 'payload=null', form],
    ['payload is a JSON array', `payload=${encodeURIComponent('[1,2]')}`, form],
    ['payload is a JSON number', 'payload=42', form],
    ['payload is a JSON string', `payload=${encodeURIComponent('"x"')}`, form],
    ['payload is not JSON', 'payload=%7Bnot-json', form],
    ['payload has no type', `payload=${encodeURIComponent('{"user":{"id":"UALICE"}}')}`, form],
    ['payload given twice', 'payload=%7B%7D&payload=%7B%7D', form],
    ['a form that is neither command nor payload', 'hello=world', form],
    ['a JSON null body', 'null', 'application/json'],
    ['a JSON body without type', '{"event":{}}', 'application/json'],
    ['a JSON body that is not JSON', '{', 'application/json'],
    ['a text/plain body', 'payload=%7B%7D', 'text/plain'],
    ['no content type', 'payload=%7B%7D', ''],
  ];
  for (const [name, raw, contentType] of MALFORMED) {
    it(`answers a signed request with ${name} with a short 400, and no listener runs`, async () => {
      const e2e = await start();
      const { jobId } = await e2e.pendingCard();
      const callsBefore = e2e.slack.calls.length;
      const response = await send(e2e, raw, signed(raw, { contentType }));
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toMatch(/^malformed Slack request: /);
      expect(body.length).toBeLessThan(200);
      await nothingHappened(e2e, jobId, callsBefore);
    });
  }

  it('refuses a click from another team with 403 and audits it against the job it named', async () => {
    const e2e = await start();
    const { jobId, card } = await e2e.pendingCard();
    const region = e2e.regions[0]!;
    const payload = blockActionPayload({
      actionId: 'cosjob_approve',
      value: `${region}|${jobId}`,
      userId: ALICE.id,
      userName: ALICE.name,
      channelId: CHANNEL,
      messageTs: card.ts,
      teamId: 'T0OTHERTEAM',
    });
    const raw = encodeBoltBody(payload, 'payload');
    const response = await send(e2e, raw, signed(raw));
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('team_id');
    await e2e.settled();
    expect(e2e.statusUpdates()).toHaveLength(0);
    const entries = await e2e.auditEntries(jobId);
    expect(entries.map((e) => [e.action, e.actor.id])).toEqual([
      ['posted', 'system'],
      ['denied', ALICE.id],
    ]);
    expect(entries[1]?.reason).toContain('another Slack installation');
  });

  it('with SLACK_APP_ID set, refuses a payload for another app (403) and accepts its own', async () => {
    const e2e = await start({ slackInstallation: { appId: 'A0COSJOB' } });
    const { jobId } = await e2e.pendingCard();
    // The fake's payloads say api_app_id A0FAKE.
    const foreign = await e2e.click('cosjob_approve', { jobId }, ALICE);
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('api_app_id');
    const own = { ...e2e.clickPayload('cosjob_approve', { jobId }, ALICE), api_app_id: 'A0COSJOB' };
    expect((await e2e.deliver(own)).status).toBe(200);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
  });

  it('with SLACK_ENTERPRISE_ID set, refuses a payload naming no enterprise or another one', async () => {
    const e2e = await start({ slackInstallation: { enterpriseId: 'E0GRID' } });
    const { jobId } = await e2e.pendingCard();
    const none = await e2e.click('cosjob_approve', { jobId }, ALICE);
    expect(none.status).toBe(403);
    const other = { ...e2e.clickPayload('cosjob_approve', { jobId }, ALICE), enterprise: { id: 'E0OTHER' } };
    expect((await e2e.deliver(other)).status).toBe(403);
    const own = { ...e2e.clickPayload('cosjob_approve', { jobId }, ALICE), enterprise: { id: 'E0GRID' } };
    expect((await e2e.deliver(own)).status).toBe(200);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
  });
});
