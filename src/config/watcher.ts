/** How often regions are polled, and the reminder and auto-cancel timers. */
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';

export interface WatcherConfig {
  pollIntervalSeconds: number;
  remindAfterMinutes?: number;
  autoCancelAfterHours?: number;
}

export function readWatcherConfig(reader: SettingReader): WatcherConfig {
  const pollIntervalSeconds = reader.integer(SETTINGS.POLL_INTERVAL_SECONDS);
  const remindAfterMinutes = reader.integer(SETTINGS.REMIND_AFTER_MINUTES);
  const autoCancelAfterHours = reader.integer(SETTINGS.AUTO_CANCEL_AFTER_HOURS);
  return {
    pollIntervalSeconds,
    ...(remindAfterMinutes !== undefined ? { remindAfterMinutes } : {}),
    ...(autoCancelAfterHours !== undefined ? { autoCancelAfterHours } : {}),
  };
}
