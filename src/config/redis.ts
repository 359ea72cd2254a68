/** Where Redis is: one server, Sentinel or Cluster, and the key prefix. */
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';

export interface RedisConfig {
  url: string;
  keyPrefix: string;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  clusterNodes?: { host: string; port: number }[];
}

export function readRedisConfig(reader: SettingReader): RedisConfig {
  const url = reader.url(SETTINGS.REDIS_URL, ['redis:', 'rediss:']) ?? SETTINGS.REDIS_URL.default;
  const keyPrefix =
    reader.matching(
      SETTINGS.REDIS_KEY_PREFIX,
      /^[A-Za-z0-9_.:-]{1,64}$/,
      'letters, digits and _ . : - (at most 64)',
    ) ?? SETTINGS.REDIS_KEY_PREFIX.default;
  const sentinels = reader.hostPortList(SETTINGS.REDIS_SENTINELS);
  const sentinelName = reader.text(SETTINGS.REDIS_SENTINEL_NAME);
  const clusterNodes = reader.hostPortList(SETTINGS.REDIS_CLUSTER_NODES);
  if (sentinels && !sentinelName) {
    reader.problem(SETTINGS.REDIS_SENTINEL_NAME, `is missing: ${SETTINGS.REDIS_SENTINEL_NAME.meaning}`);
  }
  if (sentinels && clusterNodes) {
    reader.problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: choose one');
  }
  return {
    url,
    keyPrefix,
    ...(sentinels ? { sentinels } : {}),
    ...(sentinelName ? { sentinelName } : {}),
    ...(clusterNodes ? { clusterNodes } : {}),
  };
}
