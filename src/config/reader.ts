/**
 * Reads settings from a source and collects every problem (and warning) instead of stopping at the first,
 * so a person fixes the whole environment in one go. No problem ever quotes the value of a secret setting.
 */
import { SETTINGS, type Setting, type SettingName } from './settings.js';
import { type Env, environmentSource, type SettingSource } from './source.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const MAX_NAMED_ITEMS = 5;
// Region names and Slack ids are at most ~20 characters; COS keys and Slack tokens are 32 or more. A longer
// value is described, not quoted, in case a secret was pasted into the wrong setting.
const MAX_SHOWN_CHARS = 24;

/** A value of a non-secret setting as it may appear in a problem: quoted and escaped, or only described. */
export function shownValue(value: string): string {
  return value.length > MAX_SHOWN_CHARS
    ? `a ${value.length}-character value (not shown)`
    : JSON.stringify(value);
}

/** `"a", "b" and 3 more` */
export function namedItems(items: readonly string[]): string {
  const shown = items.slice(0, MAX_NAMED_ITEMS).map(shownValue);
  const more = items.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

export class SettingReader {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly source: SettingSource) {}

  /** The place to name in a message: the variable, or where a file set it. */
  where(setting: Setting | SettingName): string {
    return this.source.where(typeof setting === 'string' ? setting : setting.name);
  }

  problem(setting: Setting | SettingName, text: string): void {
    this.problems.push(`${this.where(setting)} ${text}`);
  }

  warn(setting: Setting | SettingName, text: string): void {
    this.warnings.push(`${this.where(setting)} ${text}`);
  }

  hasProblem(setting: Setting | SettingName): boolean {
    const where = this.where(setting);
    return this.problems.some((p) => p.startsWith(`${where} `));
  }

  /**
   * The trimmed value; empty counts as unset. A required setting that is unset is a problem; `required`
   * overrides the catalogue where one command needs less (the CLI reads SLACK_BOT_TOKEN as optional).
   */
  text(setting: Setting | SettingName, required?: boolean): string | undefined {
    const s = typeof setting === 'string' ? SETTINGS[setting] : setting;
    const trimmed = this.source.get(s.name)?.trim();
    if (trimmed === undefined || trimmed === '') {
      if ((required ?? s.required) === true) this.problem(s, `is missing: ${s.meaning}`);
      return undefined;
    }
    return trimmed;
  }

  optional(setting: Setting | SettingName): string | undefined {
    return this.text(setting, false);
  }

  matching(
    setting: Setting | SettingName,
    pattern: RegExp,
    what: string,
    required?: boolean,
  ): string | undefined {
    const value = this.text(setting, required);
    if (value === undefined || pattern.test(value)) return value;
    // The value is not echoed: it may be a secret pasted into the wrong variable.
    this.problem(setting, `is malformed: expected ${what}`);
    return undefined;
  }

  /** A whole number within the catalogue's range; the catalogue default when unset or wrong. */
  integer(setting: Setting & { default: string }): number;
  integer(setting: Setting): number | undefined;
  integer(setting: Setting): number | undefined {
    const fallback = setting.default === undefined ? undefined : Number(setting.default);
    const { min, max } = setting.range ?? { min: 0, max: Number.MAX_SAFE_INTEGER };
    const value = this.text(setting);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problem(setting, `is malformed: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  boolean(setting: Setting): boolean {
    const fallback = setting.default === 'true';
    const value = this.text(setting)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problem(setting, 'is malformed: expected true or false');
    return fallback;
  }

  /** One of a fixed set of words, case-insensitive; the catalogue default when unset or wrong. */
  choice<const T extends string>(setting: Setting, choices: readonly T[]): T {
    const fallback = setting.default as T;
    const value = this.text(setting)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.problem(
      setting,
      `is malformed: ${shownValue(value)} is not one of ${choices.join(', ')} (default ${fallback})`,
    );
    return fallback;
  }

  /**
   * A comma-separated list. Items that fail `check` are named in the problem (list settings hold ids and
   * region names, never secrets); `check` returns what is wrong with an item, or undefined when it is fine.
   */
  list(setting: Setting, check: (item: string) => string | undefined): string[] {
    const value = this.text(setting);
    if (value === undefined) return [];
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const good: string[] = [];
    const bad: { item: string; why: string }[] = [];
    for (const item of items) {
      const why = check(item);
      if (why === undefined) good.push(item);
      else bad.push({ item, why });
    }
    if (bad.length > 0) {
      const byReason = new Map<string, string[]>();
      for (const { item, why } of bad) byReason.set(why, [...(byReason.get(why) ?? []), item]);
      const parts = [...byReason].map(([why, list]) => `${namedItems(list)} ${why}`);
      this.problem(setting, `is malformed: ${parts.join('; ')}`);
    }
    return good;
  }

  url(setting: Setting | SettingName, protocols: readonly string[], required?: boolean): string | undefined {
    const value = this.text(setting, required);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problem(setting, `is malformed: expected a URL such as ${protocols[0]}//host:port`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problem(
        setting,
        `is malformed: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
      );
      return undefined;
    }
    return value;
  }

  hostPortList(setting: Setting): { host: string; port: number }[] | undefined {
    const value = this.text(setting);
    if (value === undefined) return undefined;
    const nodes: { host: string; port: number }[] = [];
    const bad: string[] = [];
    for (const item of value.split(',').map((s) => s.trim())) {
      const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(item);
      if (!match || Number(match[2]) > 65535) bad.push(item);
      else nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) });
    }
    if (bad.length > 0) {
      this.problem(
        setting,
        `is malformed: ${namedItems(bad)} not host:port (expected host:port[,host:port...])`,
      );
      return undefined;
    }
    return nodes;
  }

  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** The reader over the environment alone, as the CLI and `npm start` use it. */
export class EnvReader extends SettingReader {
  constructor(env: Env) {
    super(environmentSource(env));
  }
}
