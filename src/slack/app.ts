import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type Logger as SlackLogger, SocketModeReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { ApprovalEngine } from '../approvals/engine.js';
import type { Clock } from '../clock.js';
import type { SlackConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { CardService } from './cards.js';
import { channelFor } from './channels.js';
import type { CancelDialogs } from './dialogs.js';
import { BurstDigests } from './digests.js';
import { SlackUserNames } from './directory.js';
import { HomeTab, type RegionHealthReader } from './home.js';
import { slackFetch } from './http-fetch.js';
import { registerActions } from './listeners/actions.js';
import { AfterAckQueue } from './listeners/after-ack.js';
import { registerCommands } from './listeners/commands.js';
import type { ListenerContext } from './listeners/context.js';
import { registerHome } from './listeners/home.js';
import { registerViews } from './listeners/views.js';
import { subscribeSlackNotifier } from './notifier.js';
import { ChannelPosters } from './poster.js';
import {
  type ForeignRequest,
  foreignRequest,
  guardSlackRequests,
  type Installation,
} from './request-guard.js';

/** auth.test's team_id for the bot token; start-up fails without it (the token is not usable). */
async function teamOfToken(client: WebClient): Promise<string> {
  const result = await client.auth.test();
  if (typeof result.team_id !== 'string' || result.team_id === '') {
    throw new Error('auth.test did not say which Slack team the bot token belongs to');
  }
  return result.team_id;
}

export interface SlackAppOptions {
  slack: SlackConfig;
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
  requireCancelReason: boolean;
  engine: ApprovalEngine;
  /** Where the cancel dialogs cosjob opened are remembered (Redis, shared by replicas). */
  dialogs: CancelDialogs;
  /** From createSlackWebClient: posts cards and replies, resolves approver groups. */
  webClient: WebClient;
  logger: Logger;
  /** Tests name the bot so Bolt skips auth.test; production lets Bolt check the token at start. */
  bot?: { botId: string; botUserId: string };
  /** Tests: answer Slack only once listeners finish, so every Web API call is done when the response arrives. */
  processBeforeResponse?: boolean;
  postIntervalMs?: number;
  /** A card's thread gets at most one reply about refusals per interval (REFUSAL_ECHO_INTERVAL_SECONDS). */
  refusalEchoIntervalMs?: number;
  /** Merged into every Web API client's options (Bolt's, Socket Mode's): e.g. an observing `fetch`. */
  clientOptions?: WebClientOptions;
  /** A request refused because it named another team, app or enterprise (the runtime audits it). */
  onForeignRequest?: (request: ForeignRequest) => void;
  /** Accounts whose cards go to a channel of their own (COSJOB_CONFIG `channel:`), by account name. */
  accountChannels?: ReadonlyMap<string, string>;
  /** The Home tab (app_home_opened): where it reads each region's poll health, and the clock it judges it by. */
  home?: { regionHealth: RegionHealthReader; pollIntervalMs: number; clock: Clock };
  /** HTTP mode: routes served beside /slack/events (health, readiness, metrics); default: /healthz only. */
  httpRoutes?: {
    path: string;
    method: string[];
    handler: (req: IncomingMessage, res: ServerResponse) => void;
  }[];
}

export interface RunningSlackApp {
  app: App;
  cards: CardService;
  /** One paced queue per channel the app posts in. */
  poster: ChannelPosters;
  /** Present when the Home tab is served (SlackAppOptions.home). */
  home?: HomeTab;
  /** The HTTP port in HTTP mode. */
  port?: number;
  stop(): Promise<void>;
}

const SOCKET_CLOSE_WAIT_MS = 3_000;

async function untilOrAfter(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([promise.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/** Bolt and the Web API log through cosjob's logger, which masks tokens and secrets. */
export function slackLoggerFrom(logger: Logger): SlackLogger {
  // Starts at cosjob's configured level, so Bolt and the Web API client log what LOG_LEVEL asks for.
  let level = logger.level === undefined ? LogLevel.INFO : (logger.level as LogLevel);
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
  const allowed = (l: LogLevel) => order.indexOf(l) >= order.indexOf(level);
  const text = (msgs: unknown[]) =>
    msgs
      .map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m)))
      .join(' ');
  return {
    debug: (...m: unknown[]) => allowed(LogLevel.DEBUG) && logger.debug(text(m)),
    info: (...m: unknown[]) => allowed(LogLevel.INFO) && logger.info(text(m)),
    warn: (...m: unknown[]) => allowed(LogLevel.WARN) && logger.warn(text(m)),
    error: (...m: unknown[]) => allowed(LogLevel.ERROR) && logger.error(text(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  } as SlackLogger;
}

function interactiveClientOptions(
  slack: SlackConfig,
  logger: Logger,
  extra: WebClientOptions = {},
): WebClientOptions {
  // Interactive calls must not sit in the Web API client's default half-hour retry loop. A 429 is
  // still honoured: the client waits Retry-After and sends again, so nothing is lost.
  return {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: 10_000,
    logger: slackLoggerFrom(logger),
    // Without an observer's fetch (the metrics wrap this same one), the buffered undici fetch all the same.
    fetch: slackFetch,
    ...extra,
  };
}

/**
 * The client that posts cards and thread replies: no automatic retries (a retried postMessage can post
 * twice), and 429 surfaces as an error so the channel queue waits Retry-After itself.
 */
export function createSlackWebClient(
  slack: SlackConfig,
  logger: Logger,
  extra?: WebClientOptions,
): WebClient {
  return new WebClient(slack.botToken, {
    ...interactiveClientOptions(slack, logger, extra),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
}

/**
 * Bolt's HTTP receiver with cosjob's request check in front of /slack/events (future timestamps,
 * malformed signed bodies, other installations: see request-guard.ts).
 */
function guardedHttpReceiver(o: SlackAppOptions, installation: Installation): HTTPReceiver {
  const signingSecret = o.slack.signingSecret ?? '';
  const receiver = new HTTPReceiver({
    signingSecret,
    logger: slackLoggerFrom(o.logger),
    processBeforeResponse: o.processBeforeResponse ?? false,
    customRoutes: o.httpRoutes ?? [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        },
      },
    ],
  });
  receiver.requestListener = guardSlackRequests(receiver.requestListener, {
    signingSecret,
    installation: () => installation,
    logger: o.logger,
    onForeign: (foreign) => o.onForeignRequest?.(foreign),
  });
  return receiver;
}

export async function startSlackApp(o: SlackAppOptions): Promise<RunningSlackApp> {
  const { slack, logger } = o;
  // Filled in from auth.test below, before the receiver takes requests.
  const installation: Installation = {
    ...(slack.appId !== undefined ? { appId: slack.appId } : {}),
    ...(slack.enterpriseId !== undefined ? { enterpriseId: slack.enterpriseId } : {}),
  };
  const common = {
    token: slack.botToken,
    logger: slackLoggerFrom(logger),
    clientOptions: interactiveClientOptions(slack, logger, o.clientOptions),
    convoStore: false as const,
    ...(o.bot ? { botId: o.bot.botId, botUserId: o.bot.botUserId } : { deferInitialization: true }),
  };
  // Built here rather than by Bolt so stop() can wait for the WebSocket close handshake: Bolt's stop()
  // returns before it, and main.ts exits right after, which Slack sees as a dropped connection.
  const socketReceiver = slack.appToken
    ? new SocketModeReceiver({
        appToken: slack.appToken,
        logger: slackLoggerFrom(logger),
        // Its own options object: SocketModeClient writes defaults into the one it is given.
        installerOptions: { clientOptions: interactiveClientOptions(slack, logger, o.clientOptions) },
      })
    : undefined;
  const app =
    socketReceiver && slack.appToken
      ? new App({ ...common, socketMode: true, appToken: slack.appToken, receiver: socketReceiver })
      : new App({ ...common, receiver: guardedHttpReceiver(o, installation) });

  const poster = new ChannelPosters({
    client: o.webClient,
    logger,
    ...(o.postIntervalMs !== undefined ? { minIntervalMs: o.postIntervalMs } : {}),
  });
  const channels = {
    approvalChannel: slack.channelId,
    ...(o.accountChannels ? { accountChannels: o.accountChannels } : {}),
  };
  const cards = new CardService({
    engine: o.engine,
    client: app.client,
    posters: poster,
    channelFor: (ref, rule) => channelFor(channels, ref, rule),
    logger,
    ...(o.refusalEchoIntervalMs !== undefined ? { refusalEchoIntervalMs: o.refusalEchoIntervalMs } : {}),
  });
  const home = o.home ? new HomeTab({ engine: o.engine, client: app.client, logger, ...o.home }) : undefined;
  const digests = new BurstDigests({
    engine: o.engine,
    cards,
    posters: poster,
    client: app.client,
    logger,
  });
  cards.alsoRefresh(digests);
  const ctx: ListenerContext = {
    engine: o.engine,
    cards,
    dialogs: o.dialogs,
    names: new SlackUserNames(app.client, logger),
    logger,
    channelId: slack.channelId,
    requireCancelReason: o.requireCancelReason,
    ...(home ? { home } : {}),
    afterAck: new AfterAckQueue(),
  };
  // Socket Mode has no HTTP request to check: payloads from another installation stop here instead
  // (acknowledged so Slack does not redeliver them, and never passed to a listener).
  app.use(async (args) => {
    const foreign = foreignRequest(args.body as Record<string, unknown>, installation);
    if (!foreign) {
      await args.next();
      return;
    }
    logger.warn('refused a Slack payload from another installation', {
      field: foreign.field,
      userId: foreign.userId ?? null,
    });
    o.onForeignRequest?.(foreign);
    const { ack } = args as { ack?: () => Promise<void> };
    await ack?.();
  });
  if (home) registerHome(app, home, logger);
  const unsubscribeHome = home?.subscribe();
  registerActions(app, ctx);
  registerViews(app, ctx);
  registerCommands(app, ctx);
  app.error(async (error) => {
    logger.error('unhandled error in a Slack listener', { error });
  });
  const unsubscribe = subscribeSlackNotifier({
    engine: o.engine,
    cards,
    digests,
    logger,
    approverUserIds: o.approverUserIds,
    approverUsergroupIds: o.approverUsergroupIds,
  });

  if (!o.bot) await app.init();
  // The team this bot token belongs to: payloads naming another team are refused (request-guard.ts).
  installation.teamId = await teamOfToken(o.webClient);
  let port: number | undefined;
  if (slack.appToken) {
    await app.start();
  } else {
    const server = (await app.start(slack.port)) as Server;
    port = (server.address() as AddressInfo).port;
  }
  return {
    app,
    cards,
    poster,
    ...(home ? { home } : {}),
    ...(port !== undefined ? { port } : {}),
    async stop() {
      unsubscribe();
      unsubscribeHome?.();
      // Bounded: a Slack that does not answer must not hold up the shutdown.
      if (home) await untilOrAfter(home.idle(), SOCKET_CLOSE_WAIT_MS);
      home?.stop();
      digests.stop();
      cards.stop();
      poster.stop();
      if (socketReceiver) {
        // Resolves once the socket is closed; bounded because a peer that never answers the close frame
        // would hold it for the client's own 30 s timeout.
        await untilOrAfter(socketReceiver.client.disconnect(), SOCKET_CLOSE_WAIT_MS);
      } else {
        await app.stop().catch(() => undefined);
      }
    },
  };
}
