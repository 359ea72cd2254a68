/** How much is logged, and in which form. */
import type { LogLevel } from '../logger.js';
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggingConfig {
  level: LogLevel;
  format: LogFormat;
}

export function readLoggingConfig(reader: SettingReader): LoggingConfig {
  return {
    level: reader.choice(SETTINGS.LOG_LEVEL, LOG_LEVELS),
    format: reader.choice(SETTINGS.LOG_FORMAT, LOG_FORMATS),
  };
}
