/**
 * End-to-end harness: the production composition root (startRuntime) with a real Bolt HTTP receiver,
 * the COS emulator, a real redis-server and the fake Slack Web API. Tests talk to cosjob only the way
 * Slack and COS do: signed HTTP requests in, Web API calls and COS requests out.
 */
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import type { AuditAction, AuditEntry } from '../../../src/audit/types.js';
import {
  type AbuseLimits,
  type AccountConfig,
  type AppConfig,
  accountFromEnvironment,
} from '../../../src/config/index.js';
import type { Job } from '../../../src/cos/model.js';
import { jobRefKey } from '../../../src/jobs/job-ref.js';
import { createLogger } from '../../../src/logger.js';
import type { RuleSet } from '../../../src/rules/types.js';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../../src/runtime.js';
import { type CosFixture, REGIONS, startCosFixture, TEST_ACCOUNT } from '../../helpers/cos-fixture.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../helpers/fake-slack.js';
import { type RedisTestContext, useRedis } from '../../helpers/redis.js';
import {
  blockActionPayload,
  postToBolt,
  slashCommandBody,
  viewSubmissionPayload,
} from '../../helpers/slack-requests.js';

export const SIGNING_SECRET = 'e2e-signing-secret-4f1c9a0b7d2e';
export const BOT_TOKEN = 'xoxb-e2e-0000-test-token';
export const CHANNEL = 'C0E2ECARDS';
export const BOT = { botId: 'B0BOT', botUserId: 'U0BOT' };
/** Approvers with the display names their clicks carry. */
export const ALICE = { id: 'UALICE', name: 'alice' } as const;
export const BOB = { id: 'UBOB', name: 'bob' } as const;
export const MALLORY = { id: 'UMALLORY', name: 'mallory' } as const;
export const APPROVER_IDS = [ALICE.id, BOB.id];
export { REGIONS };

export type SlackUser = { id: string; name: string };

/** An account of a COSJOB_CONFIG file, as the harness configures it: its keys, regions and channel. */
export interface E2EAccount {
  name: string;
  uin: string;
  appId: string;
  secretId: string;
  secretKey: string;
  regions: readonly string[];
  channel?: string;
}

function accountConfig(account: E2EAccount): AccountConfig {
  const variable = account.name.toUpperCase().replaceAll('-', '_');
  return {
    name: account.name,
    uin: account.uin,
    appId: account.appId,
    regions: [...account.regions],
    credentials: { secretId: account.secretId, secretKey: account.secretKey },
    credentialVariables: { secretId: `${variable}_COS_SECRET_ID`, secretKey: `${variable}_COS_SECRET_KEY` },
    ...(account.channel ? { channel: account.channel } : {}),
  };
}

export interface E2EOptions {
  regions?: readonly string[];
  /** Approval rules, as COSJOB_CONFIG would give them (default: none, the environment's default rule). */
  rules?: RuleSet;
  /**
   * Accounts as a COSJOB_CONFIG file declares them (default: the environment's one account, `default`,
   * with TEST_ACCOUNT's key). The emulator serves each with its own key.
   */
  accounts?: readonly E2EAccount[];
  requiredApprovals?: number;
  /** Approver user groups (members from the fake's usergroups.users.list). */
  approverUsergroupIds?: string[];
  requireCancelReason?: boolean;
  autoCancelAfterHours?: number;
  postIntervalMs?: number;
  engine?: RuntimeOptions['engine'];
  /** Share another harness's emulator and fake Slack (a second replica). */
  shareWith?: E2E;
  /** Default: a fresh prefix from the Redis context (or the shared harness's prefix). */
  keyPrefix?: string;
  /** Audit checkpoints: default hourly to the approval channel, no file. */
  audit?: Partial<AppConfig['audit']>;
  /** Per-user limits and the refusal echo interval (default: the catalogue's defaults). */
  limits?: Partial<AbuseLimits>;
  /** Unwise configuration the runtime tells the channel once. */
  configurationWarnings?: RuntimeOptions['configurationWarnings'];
  /** Send COS requests here instead of the emulator (e.g. a hostile proxy in front of it). */
  cosEndpoint?: string;
  /** The installation checks' optional settings (SLACK_APP_ID, SLACK_ENTERPRISE_ID). */
  slackInstallation?: { appId?: string; enterpriseId?: string };
}

export interface CommandResult {
  status: number;
  /** The immediate (ack) answer Bolt wrote in the HTTP response, if any. */
  ack: SlackAnswer | undefined;
  /** What the listener sent later through the response_url. */
  responses: SlackAnswer[];
}

export interface SlackAnswer {
  text?: string;
  blocks?: unknown[];
  response_type?: string;
}

export class E2E {
  private readonly ownsFixtures: boolean;
  private runtimeStopped = false;

  private constructor(
    readonly cos: CosFixture,
    readonly slack: FakeSlack,
    readonly runtime: Runtime,
    readonly config: AppConfig,
    /** Every log line cosjob wrote (JSON, already redacted by the logger), for secrecy checks. */
    readonly logLines: string[],
    ownsFixtures: boolean,
  ) {
    this.ownsFixtures = ownsFixtures;
  }

  static async start(redis: RedisTestContext, options: E2EOptions = {}): Promise<E2E> {
    const shared = options.shareWith;
    const regions = options.regions ?? shared?.regions ?? [...REGIONS];
    const extraAccounts = (options.accounts ?? [])
      .filter((a) => a.uin !== TEST_ACCOUNT.uin)
      .map(({ uin, appId, secretId, secretKey }) => ({ uin, appId, secretId, secretKey }));
    const cos = shared?.cos ?? (await startCosFixture({ regions, extraAccounts }));
    const slack =
      shared?.slack ??
      (await startFakeSlack({ expectedToken: BOT_TOKEN, ...BOT, users: [ALICE, BOB, MALLORY] }));
    const config: AppConfig = {
      accounts: options.accounts
        ? options.accounts.map(accountConfig)
        : (shared?.config.accounts ?? [
            accountFromEnvironment({
              secretId: TEST_ACCOUNT.secretId,
              secretKey: TEST_ACCOUNT.secretKey,
              appId: TEST_ACCOUNT.appId,
              uin: TEST_ACCOUNT.uin,
              regions: [...regions],
            }),
          ]),
      cosEndpoint: options.cosEndpoint ?? cos.emulator.url,
      redis: {
        url: redis.url,
        keyPrefix: options.keyPrefix ?? shared?.config.redis.keyPrefix ?? redis.keyPrefix,
      },
      approvals: {
        approverUserIds: [...APPROVER_IDS],
        approverUsergroupIds: options.approverUsergroupIds ?? [],
        requiredApprovals: options.requiredApprovals ?? 1,
        requireCancelReason: options.requireCancelReason ?? true,
        ...(options.limits
          ? {
              limits: {
                refusalsPerUserPerMinute: 10,
                lookupsPerUserPerMinute: 20,
                refusalEchoIntervalSeconds: 60,
                ...options.limits,
              },
            }
          : {}),
      },
      audit: { checkpointIntervalMs: 3_600_000, checkpointChannelId: CHANNEL, ...options.audit },
      watcher: {
        pollIntervalSeconds: 60,
        ...(options.autoCancelAfterHours !== undefined
          ? { autoCancelAfterHours: options.autoCancelAfterHours }
          : {}),
      },
      slack: {
        botToken: BOT_TOKEN,
        channelId: CHANNEL,
        signingSecret: SIGNING_SECRET,
        port: 0,
        apiUrl: slack.apiUrl,
        ...options.slackInstallation,
      },
    };
    const logLines: string[] = [];
    let runtime: Runtime;
    try {
      runtime = await startRuntime({
        config,
        ...(options.rules ? { rules: options.rules } : {}),
        logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
        clock: cos.clock,
        cosOverrides: { timeouts: { deadlineMs: 3_000 }, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
        slack: { bot: BOT, processBeforeResponse: true, postIntervalMs: options.postIntervalMs ?? 0 },
        engine: {
          reconcileGraceMs: 0,
          progressIntervalMs: 0,
          instanceId: `e2e-${randomBytes(3).toString('hex')}`,
          ...options.engine,
        },
        startWatcher: false,
        ...(options.configurationWarnings ? { configurationWarnings: options.configurationWarnings } : {}),
      });
    } catch (error) {
      if (!shared) {
        await slack.close();
        await cos.close();
      }
      throw error;
    }
    return new E2E(cos, slack, runtime, config, logLines, !shared);
  }

  /** The regions of the first account (the only one unless `accounts` was given). */
  get regions(): string[] {
    return this.config.accounts[0]!.regions;
  }

  /** The name of the first account (`default` unless `accounts` was given). */
  get account(): string {
    return this.config.accounts[0]!.name;
  }

  get eventsUrl(): string {
    return `http://127.0.0.1:${this.runtime.slack.port}/slack/events`;
  }

  /** One watcher pass, then everything it queued for Slack is posted. */
  async poll(): Promise<void> {
    await this.runtime.engine.watcher.pollOnce();
    await this.settled();
  }

  /** Waits until the channel queue is empty (cards and thread replies posted). */
  async settled(): Promise<void> {
    await this.runtime.slack.poster.idle();
  }

  /** A Suspended job in the emulator, announced by one poll; returns its id and card. */
  async pendingCard(region: string = this.regions[0]!): Promise<{ jobId: string; card: StoredMessage }> {
    const jobId = this.cos.createSuspendedJob(region);
    await this.poll();
    const card = this.cardFor(jobId);
    if (!card) throw new Error(`no card was posted for ${jobId}`);
    return { jobId, card };
  }

  /** The top-level message whose buttons point at this job (any region), burst digests aside. */
  cardFor(jobId: string): StoredMessage | undefined {
    return this.cards().find((m) => JSON.stringify(m.blocks ?? []).includes(`|${jobId}"`));
  }

  /** Top-level messages in the channel other than burst digests. */
  cards(): StoredMessage[] {
    return this.slack.messages(CHANNEL).filter((m) => !isDigest(m));
  }

  /** The burst digests in the channel, oldest first. */
  digests(): StoredMessage[] {
    return this.slack.messages(CHANNEL).filter(isDigest);
  }

  /** The digest whose row points at this job. */
  digestFor(jobId: string): StoredMessage | undefined {
    return this.digests().find((m) => JSON.stringify(m.blocks ?? []).includes(`|${jobId}"`));
  }

  thread(card: StoredMessage): StoredMessage[] {
    return this.slack.thread(CHANNEL, card.ts);
  }

  /** A button click on a message, signed; resolves with the HTTP response after the listeners finished. */
  click(
    actionId: string,
    ref: { account?: string; region?: string; jobId: string },
    user: SlackUser,
    options: { messageTs?: string; extraHeaders?: Record<string, string>; value?: string } = {},
  ): Promise<Response> {
    const payload = this.clickPayload(actionId, ref, user, options);
    return this.deliver(payload, options.extraHeaders);
  }

  /** The block_actions payload Slack sends for a click on this job's card. */
  clickPayload(
    actionId: string,
    ref: { account?: string; region?: string; jobId: string },
    user: SlackUser,
    options: { messageTs?: string; value?: string } = {},
  ): Record<string, unknown> {
    const region = ref.region ?? this.regions[0]!;
    const account = ref.account ?? this.account;
    const messageTs = options.messageTs ?? this.cardFor(ref.jobId)?.ts ?? '1700000000.000100';
    return blockActionPayload({
      actionId,
      value: options.value ?? jobRefKey({ account, region, jobId: ref.jobId }),
      userId: user.id,
      userName: user.name,
      channelId: CHANNEL,
      messageTs,
      responseUrl: this.slack.responseUrl(`click-${randomBytes(4).toString('hex')}`, {
        user: user.id,
        channel: CHANNEL,
      }),
    });
  }

  /** Signs and delivers an interactivity payload (the same bytes each time it is called). */
  deliver(payload: Record<string, unknown>, extraHeaders?: Record<string, string>): Promise<Response> {
    return postToBolt(this.eventsUrl, SIGNING_SECRET, payload, {
      kind: 'payload',
      ...(extraHeaders ? { extraHeaders } : {}),
    });
  }

  /**
   * Submits the cancel modal with `reason` (null: the optional input left empty); with `callbackId`
   * another reason modal (the approve dialog, `cosjob_approve_reason`).
   */
  submitCancel(
    privateMetadata: string,
    reason: string | null,
    user: SlackUser,
    options: { viewId?: string; callbackId?: string } = {},
  ): Promise<Response> {
    // Slack sends the id of the view it opened; by default, the last one opened with this metadata.
    const opened = this.slack
      .views()
      .filter((v) => v.view.private_metadata === privateMetadata)
      .at(-1);
    const viewId = options.viewId ?? opened?.id;
    const payload = viewSubmissionPayload({
      callbackId: options.callbackId ?? 'cosjob_cancel_reason',
      privateMetadata,
      values: { reason_block: { reason_input: reason } },
      userId: user.id,
      userName: user.name,
      ...(viewId !== undefined ? { viewId } : {}),
    });
    return postToBolt(this.eventsUrl, SIGNING_SECRET, payload, { kind: 'payload' });
  }

  /** Types `/cosjob <text>`: the ack body and the response_url answers that followed. */
  async command(text: string, user: SlackUser, channelId = CHANNEL): Promise<CommandResult> {
    const responseId = `cmd-${randomBytes(4).toString('hex')}`;
    const body = slashCommandBody({
      text,
      userId: user.id,
      userName: user.name,
      channelId,
      responseUrl: this.slack.responseUrl(responseId),
    });
    const response = await postToBolt(this.eventsUrl, SIGNING_SECRET, body, { kind: 'form' });
    const raw = await response.text();
    let ack: SlackAnswer | undefined;
    if (raw !== '') {
      try {
        ack = JSON.parse(raw) as SlackAnswer;
      } catch {
        ack = { text: raw };
      }
    }
    await this.settled();
    return {
      status: response.status,
      ack,
      responses: this.slack.responses(responseId).map((r) => r.body as SlackAnswer),
    };
  }

  async auditActions(
    jobId: string,
    region: string = this.regions[0]!,
    account: string = this.account,
  ): Promise<AuditAction[]> {
    return (await this.auditEntries(jobId, region, account)).map((e) => e.action);
  }

  auditEntries(
    jobId: string,
    region: string = this.regions[0]!,
    account: string = this.account,
  ): Promise<AuditEntry[]> {
    return this.runtime.audit.history({ account, region, jobId });
  }

  job(jobId: string, region: string = this.regions[0]!): Job {
    const job = this.cos.emulator.store.getJob(region, jobId);
    if (!job) throw new Error(`the emulator has no job ${jobId} in ${region}`);
    return job;
  }

  statusUpdates(jobId?: string) {
    return this.cos.emulator.stats.statusUpdates.filter((u) => jobId === undefined || u.jobId === jobId);
  }

  /** Stops this replica (its lease is released) but leaves shared fixtures running. */
  async stopRuntime(): Promise<void> {
    if (this.runtimeStopped) return;
    this.runtimeStopped = true;
    await this.runtime.stop();
  }

  async close(): Promise<void> {
    await this.stopRuntime();
    if (this.ownsFixtures) {
      await this.slack.close();
      await this.cos.close();
    }
  }
}

/** All text of a message or answer: its fallback text and every string inside its blocks. */
export function textOf(message: { text?: string; blocks?: unknown[] } | undefined): string {
  if (!message) return '';
  const parts: string[] = [message.text ?? ''];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(message.blocks ?? []);
  return parts.join('\n');
}

export function isDigest(message: StoredMessage): boolean {
  return (message.metadata as { event_type?: unknown } | undefined)?.event_type === 'cosjob_digest';
}

/** The action ids of the buttons on a message. */
export function buttonsOf(message: { blocks?: unknown[] } | undefined): string[] {
  const ids: string[] = [];
  for (const block of (message?.blocks ?? []) as { type?: string; elements?: { action_id?: string }[] }[]) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements ?? []) if (element.action_id) ids.push(element.action_id);
  }
  return ids;
}

/** The header text of a card. */
export function titleOf(message: { blocks?: unknown[] } | undefined): string {
  const header = (message?.blocks ?? []).find(
    (b): b is { type: 'header'; text: { text: string } } => (b as { type?: string }).type === 'header',
  );
  return header?.text.text ?? '';
}

/** The chat.update calls that rewrote the message `ts`, oldest first (their blocks as sent). */
export function updatesOf(slack: FakeSlack, ts: string): { text?: string; blocks?: unknown[] }[] {
  return slack
    .callsTo('chat.update')
    .filter((c) => c.params.ts === ts && c.status === 200)
    .map((c) => ({
      ...(typeof c.params.text === 'string' ? { text: c.params.text } : {}),
      ...(Array.isArray(c.params.blocks) ? { blocks: c.params.blocks } : {}),
    }));
}

/**
 * One redis-server for the test file, and a `start` that builds a stack and closes it after each test.
 * Returns the Redis context too, for tests that kill or restart the server.
 */
export function useE2E(): { start: (options?: E2EOptions) => Promise<E2E>; redis: RedisTestContext } {
  const redis = useRedis();
  const harnesses: E2E[] = [];
  afterEach(async () => {
    for (const e2e of harnesses.splice(0).reverse()) await e2e.close();
  });
  return {
    redis,
    start: async (options: E2EOptions = {}) => {
      const e2e = await E2E.start(redis, options);
      harnesses.push(e2e);
      return e2e;
    },
  };
}
