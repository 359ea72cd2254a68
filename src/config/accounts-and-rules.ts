/**
 * COSJOB_CONFIG: the accounts cosjob watches and the rules that route their jobs, read from a YAML file
 * and validated with every problem reported at once (file:line, what to fix). Without the file, or when
 * the file leaves a part out, the environment gives it: one account (`default`, from COS_*) and no rules,
 * so environment-only configuration means exactly what it meant before.
 */
import { readFileSync } from 'node:fs';
import { defaultRule } from '../rules/default-rule.js';
import { readRules } from '../rules/read-rules.js';
import type { RuleSet } from '../rules/types.js';
import {
  type AccountConfig,
  accountFromEnvironment,
  type DeclaredAccounts,
  readAccounts,
} from './accounts.js';
import type { ApprovalConfig } from './approvals.js';
import type { CosConfig } from './cos.js';
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';
import type { SettingSource } from './source.js';
import type { WatcherConfig } from './watcher.js';
import { formatFileProblem, YamlFile } from './yaml-file.js';

export interface AccountsAndRules {
  /** The file they came from; undefined for environment-only configuration. */
  file?: string;
  /** At least one when valid; in the file's order. */
  accounts: AccountConfig[];
  rules: RuleSet;
  /** Whether the accounts came from the file (then COS_SECRET_ID and the rest of COS_* are not used). */
  accountsFromFile: boolean;
}

export const TOP_LEVEL_KEYS = ['accounts', 'rules'] as const;

export interface AccountsAndRulesInputs {
  /** The environment (or layered source) the file's `*_env` variables are looked up in. */
  source: SettingSource;
  approvals: ApprovalConfig;
  watcher: WatcherConfig;
  /** Read only when the file has no `accounts:` (or there is no file), so COS_* are needed only then. */
  cos: () => CosConfig;
}

/** Reads COSJOB_CONFIG through `reader`; its problems and warnings join the reader's, as file:line text. */
export function readAccountsAndRules(
  reader: SettingReader,
  inputs: AccountsAndRulesInputs,
): AccountsAndRules {
  const path = reader.optional(SETTINGS.COSJOB_CONFIG);
  const rules: RuleSet = { rules: [], defaultRule: defaultRule(inputs.approvals, inputs.watcher) };
  if (path === undefined) {
    return { accounts: [accountFromEnvironment(inputs.cos())], rules, accountsFromFile: false };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    reader.problem(
      SETTINGS.COSJOB_CONFIG,
      `names ${JSON.stringify(path)}, which cannot be read (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}): fix the path or unset COSJOB_CONFIG`,
    );
    return { file: path, accounts: [], rules, accountsFromFile: true };
  }
  const file = new YamlFile(path, text);
  const result = readFile(file, inputs, rules);
  reader.problems.push(...file.problems.map(formatFileProblem));
  reader.warnings.push(...file.warnings.map(formatFileProblem));
  return result;
}

function environmentAccounts(cos: CosConfig): { accounts: AccountConfig[]; declared: DeclaredAccounts } {
  const account = accountFromEnvironment(cos);
  return { accounts: [account], declared: { names: [account.name], regions: account.regions } };
}

function readFile(file: YamlFile, inputs: AccountsAndRulesInputs, rules: RuleSet): AccountsAndRules {
  const base = { file: file.file, rules };
  // A file whose YAML is broken is not read further: its structure problems would only repeat the error.
  if (file.problems.length > 0) return { ...base, accounts: [], accountsFromFile: true };
  if (file.root === undefined) {
    file.problems.push({
      file: file.file,
      line: 0,
      path: '',
      text: 'is empty: give accounts:, rules: or both',
    });
    return { ...base, accounts: [], accountsFromFile: true };
  }
  const map = file.map(file.root, 'with accounts: and/or rules:');
  if (map === undefined) return { ...base, accounts: [], accountsFromFile: true };
  const keys = file.entries(file.root, map, TOP_LEVEL_KEYS);
  const accountsAt = keys.get('accounts');
  const { accounts, declared } = accountsAt
    ? readAccounts(file, accountsAt, inputs.source)
    : environmentAccounts(inputs.cos());
  const rulesAt = keys.get('rules');
  const ordered = rulesAt ? readRules(file, rulesAt, declared, rules.defaultRule) : [];
  return {
    ...base,
    accounts,
    rules: { rules: ordered, defaultRule: rules.defaultRule },
    accountsFromFile: accountsAt !== undefined,
  };
}
