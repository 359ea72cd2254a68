/** The problems a configuration has, or [] when it loads. */
import { ConfigError, environmentSource, loadConfig } from '../../src/config/index.js';

export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(environmentSource(env));
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}
