/** `npm start`: the real bot, configured from the environment. */
import { ConfigError, loadAppConfig } from './config.js';
import { createLogger, type LogLevel } from './logger.js';
import { startRuntime } from './runtime.js';

const level = (process.env.LOG_LEVEL ?? 'info') as LogLevel;
const logger = createLogger({ level: ['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info' });

async function main(): Promise<void> {
  let config: ReturnType<typeof loadAppConfig>;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n\nSee README.md, section "Settings".\n`);
      process.exit(2);
    }
    throw error;
  }
  const runtime = await startRuntime({ config, logger });
  logger.info('cosjob is running', {
    mode: config.slack.appToken ? 'socket' : `http :${runtime.slack.port}`,
    regions: config.cos.regions,
    channel: config.slack.channelId,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await runtime.stop().catch((error) => logger.error('error while stopping', { error }));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error }));
main().catch((error) => {
  logger.error('cosjob failed to start', { error });
  process.exit(1);
});
