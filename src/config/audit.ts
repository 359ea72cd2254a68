/** Where the audit chain is anchored outside Redis, and how often. */
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';

export interface AuditConfig {
  /** AUDIT_CHECKPOINT_INTERVAL_MINUTES, in milliseconds. */
  checkpointIntervalMs: number;
  /** AUDIT_CHECKPOINT_FILE: a path, or '-' for stdout; absent when not set. */
  checkpointFile?: string;
  /** AUDIT_CHANNEL_ID, defaulting to the approval channel. */
  checkpointChannelId: string;
}

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const MAX_PATH_LENGTH = 4096;

/** `approvalChannelId` is SLACK_CHANNEL_ID as already read (checkpoints go there by default). */
export function readAuditConfig(reader: SettingReader, approvalChannelId: string): AuditConfig {
  const minutes = reader.integer(SETTINGS.AUDIT_CHECKPOINT_INTERVAL_MINUTES);
  let file = reader.optional(SETTINGS.AUDIT_CHECKPOINT_FILE);
  if (file !== undefined && (file.includes('\0') || file.length > MAX_PATH_LENGTH)) {
    reader.problem(SETTINGS.AUDIT_CHECKPOINT_FILE, 'is malformed: expected a file path, or - for stdout');
    file = undefined;
  }
  const channelId = reader.matching(
    SETTINGS.AUDIT_CHANNEL_ID,
    CHANNEL_ID,
    'a channel id such as C0123ABCD (checkpoints go to SLACK_CHANNEL_ID when it is not set)',
  );
  return {
    checkpointIntervalMs: minutes * 60_000,
    ...(file !== undefined ? { checkpointFile: file } : {}),
    checkpointChannelId: channelId ?? approvalChannelId,
  };
}
