/** The Slack app: tokens, the approval channel, the mode (Socket Mode or HTTP) and the HTTP port. */
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';

export interface SlackConfig {
  botToken: string;
  channelId: string;
  appToken?: string;
  signingSecret?: string;
  port: number;
  apiUrl?: string;
  /** When set, payloads whose api_app_id differs are refused. */
  appId?: string;
  /** When set, payloads whose enterprise id differs are refused. */
  enterpriseId?: string;
  /** Least milliseconds between two posts in the channel (SLACK_POST_INTERVAL_MS; the poster's own default when absent). */
  postIntervalMs?: number;
}

// Slack signing secrets are 32 hexadecimal characters. A shorter one is a placeholder or a typo, and a
// weak secret would let anyone forge button clicks; the format is not enforced beyond length in case
// Slack changes it.
export const MIN_SIGNING_SECRET_LENGTH = 32;

/** A public or private channel id, as SLACK_CHANNEL_ID and the channels of cosjob.yml take it. */
export const SLACK_CHANNEL_ID_PATTERN = /^[CG][A-Z0-9]{2,}$/;

export function readSlackConfig(reader: SettingReader): SlackConfig {
  const botToken =
    reader.matching(SETTINGS.SLACK_BOT_TOKEN, /^xoxb-[A-Za-z0-9-]+$/, 'a bot token starting with xoxb-') ??
    '';
  const channelId =
    reader.matching(SETTINGS.SLACK_CHANNEL_ID, SLACK_CHANNEL_ID_PATTERN, 'a channel id such as C0123ABCD') ??
    '';
  const appToken = reader.matching(
    SETTINGS.SLACK_APP_TOKEN,
    /^xapp-[A-Za-z0-9-]+$/,
    'an app-level token starting with xapp-',
  );
  let signingSecret = reader.text(SETTINGS.SLACK_SIGNING_SECRET);
  if (signingSecret !== undefined && signingSecret.length < MIN_SIGNING_SECRET_LENGTH) {
    reader.problem(
      SETTINGS.SLACK_SIGNING_SECRET,
      `is too short: Slack's signing secrets are ${MIN_SIGNING_SECRET_LENGTH} hexadecimal characters; copy it from the app's Basic Information → App Credentials`,
    );
    signingSecret = undefined;
  }
  if (
    appToken === undefined &&
    signingSecret === undefined &&
    !reader.hasProblem(SETTINGS.SLACK_APP_TOKEN) &&
    !reader.hasProblem(SETTINGS.SLACK_SIGNING_SECRET)
  ) {
    reader.problems.push(
      'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is needed: set SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode',
    );
  }
  const port = reader.integer(SETTINGS.PORT);
  const apiUrl = reader.url(SETTINGS.SLACK_API_URL, ['http:', 'https:']);
  const appId = reader.matching(SETTINGS.SLACK_APP_ID, /^A[A-Z0-9]{2,}$/, 'an app id such as A0123ABCD');
  const enterpriseId = reader.matching(
    SETTINGS.SLACK_ENTERPRISE_ID,
    /^E[A-Z0-9]{2,}$/,
    'an Enterprise Grid id such as E0123ABCD',
  );
  const postIntervalMs = reader.integer(SETTINGS.SLACK_POST_INTERVAL_MS);
  return {
    botToken,
    channelId,
    ...(appToken !== undefined ? { appToken } : {}),
    ...(signingSecret !== undefined ? { signingSecret } : {}),
    port,
    ...(apiUrl !== undefined ? { apiUrl } : {}),
    ...(appId !== undefined ? { appId } : {}),
    ...(enterpriseId !== undefined ? { enterpriseId } : {}),
    postIntervalMs,
  };
}
