/** Requests Slack did not sign (or signed too long ago) are refused before any listener runs. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useRedis } from '../../helpers/redis.js';
import {
  encodeBoltBody,
  FORM_CONTENT_TYPE,
  signSlackRequest as signHeaders,
  slashCommandBody,
} from '../../helpers/slack-requests.js';
import { ALICE, CHANNEL, E2E, SIGNING_SECRET } from './harness.js';

const redis = useRedis();
let e2e: E2E;
let jobId: string;

beforeEach(async () => {
  e2e = await E2E.start(redis);
  ({ jobId } = await e2e.pendingCard());
});

afterEach(async () => {
  await e2e.close();
});

type Tamper = (rawBody: string) => Record<string, string>;

/** The helper's headers as a plain record, so tests can replace or drop some. */
function signSlackRequest(secret: string, rawBody: string, timestampSec?: number): Record<string, string> {
  return { ...signHeaders(secret, rawBody, timestampSec) };
}
const nowSec = () => Math.floor(Date.now() / 1000);

const TAMPERS: [string, Tamper][] = [
  ['a signature made with another secret', (raw) => signSlackRequest('not-the-signing-secret', raw)],
  [
    'a signature over a different body',
    (raw) => signSlackRequest(SIGNING_SECRET, raw.replace('UALICE', 'UBOB')),
  ],
  ['no signature headers', () => ({ 'content-type': FORM_CONTENT_TYPE })],
  ['a timestamp 301 s old', (raw) => signSlackRequest(SIGNING_SECRET, raw, nowSec() - 301)],
  [
    'a valid signature with the timestamp header changed',
    (raw) => ({
      ...signSlackRequest(SIGNING_SECRET, raw, nowSec() - 400),
      'x-slack-request-timestamp': String(nowSec()),
    }),
  ],
];

function bodies(): [string, string][] {
  const click = e2e.clickPayload('cosjob_approve', { jobId }, ALICE);
  const command = slashCommandBody({
    text: `approve ${jobId}`,
    userId: ALICE.id,
    userName: ALICE.name,
    channelId: CHANNEL,
    responseUrl: e2e.slack.responseUrl('cmd'),
  });
  return [
    ['an Approve click', encodeBoltBody(click, 'payload')],
    ['/cosjob approve', encodeBoltBody(command, 'form')],
  ];
}

describe('request signatures', () => {
  it.each(TAMPERS)('answers 401 to %s, and nothing runs', async (_label, tamper) => {
    const callsBefore = e2e.slack.calls.length;
    const cosBefore = e2e.cos.emulator.stats.totalRequests;
    for (const [what, raw] of bodies()) {
      const response = await fetch(e2e.eventsUrl, { method: 'POST', headers: tamper(raw), body: raw });
      expect(response.status, what).toBe(401);
    }
    await e2e.settled();
    expect(e2e.slack.calls.length).toBe(callsBefore);
    expect(e2e.slack.responses()).toHaveLength(0);
    expect(e2e.cos.emulator.stats.totalRequests).toBe(cosBefore);
    expect(await e2e.auditActions(jobId)).toEqual(['posted']);
    expect(e2e.job(jobId).status).toBe('Suspended');
  });

  it('accepts the same requests signed properly within 300 s (the refusals above are not blanket)', async () => {
    const [click, command] = bodies();
    const signedLate = signSlackRequest(SIGNING_SECRET, command![1], nowSec() - 290);
    const commandResponse = await fetch(e2e.eventsUrl, {
      method: 'POST',
      headers: signedLate,
      body: command![1],
    });
    expect(commandResponse.status).toBe(200);
    await e2e.settled();
    expect(e2e.statusUpdates(jobId)).toHaveLength(1);
    const clickResponse = await fetch(e2e.eventsUrl, {
      method: 'POST',
      headers: signSlackRequest(SIGNING_SECRET, click![1]),
      body: click![1],
    });
    expect(clickResponse.status).toBe(200);
  });
});
