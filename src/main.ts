/** `npm start`: the real bot, configured from the environment (and `.env` when there is one). */
import { existsSync } from 'node:fs';
import { ConfigError, environmentSource, type LoadedConfig, loadConfig } from './config/index.js';
import { createLogger } from './logger.js';
import { startRuntime } from './runtime.js';

// process.loadEnvFile never overwrites a variable that is already set, so the environment wins over .env.
if (existsSync('.env')) process.loadEnvFile('.env');

let loaded: LoadedConfig;
try {
  loaded = loadConfig(environmentSource(process.env));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n\nSee README.md, section "Settings".\n`);
  process.exit(2);
}
const logger = createLogger({ level: loaded.logging.level });
for (const warning of loaded.warnings) logger.warn(`configuration: ${warning}`);

async function main(): Promise<void> {
  const config = loaded.app;
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
