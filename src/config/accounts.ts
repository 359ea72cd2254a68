/**
 * The Tencent Cloud accounts cosjob watches. Each names the environment variables that hold its key, never
 * the key itself: a value that looks like a key where a variable name belongs is refused, and no problem
 * ever quotes a credential or a credential field of the file. Environment-only configuration is one
 * account, named `default`, whose key is COS_SECRET_ID / COS_SECRET_KEY / COS_SECURITY_TOKEN.
 */
import { APPID_PATTERN, type CredentialKind, credentialProblem, UIN_PATTERN } from '../cos/credentials.js';
import { isKnownRegion } from '../cos/region.js';
import { ACCOUNT_NAME_PATTERN, DEFAULT_ACCOUNT_NAME } from '../jobs/job-ref.js';
import { type CosConfig, regionProblem } from './cos.js';
import { SLACK_CHANNEL_ID_PATTERN } from './slack.js';
import type { SettingSource } from './source.js';
import type { Located, YamlFile } from './yaml-file.js';

export interface AccountCredentials {
  secretId: string;
  secretKey: string;
  securityToken?: string;
}

export interface AccountConfig {
  /** How people and rules name the account: lowercase letters, digits, - and _. */
  name: string;
  uin: string;
  appId: string;
  regions: string[];
  credentials: AccountCredentials;
  /** The environment variables the key was read from, for messages (`cosjob doctor`, rules check). */
  credentialVariables: { secretId: string; secretKey: string; securityToken?: string };
  /** Where this account's cards go unless a rule says otherwise; undefined: SLACK_CHANNEL_ID. */
  channel?: string;
}

export { ACCOUNT_NAME_PATTERN, DEFAULT_ACCOUNT_NAME };

// Environment variable names as shells write them. Upper case only: a SecretKey is 32 letters and digits,
// so a mixed-case "name" is far more likely a pasted key than a variable.
const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
// A SecretId starts with AKID; any long run of letters and digits with lower and upper case or no
// underscore at all is treated as a key too.
const LOOKS_LIKE_A_KEY = /^AKID|^(?=.*\d)(?=.*[a-z])[A-Za-z0-9+/=]{16,}$|^[A-Z0-9]{24,}$/;

export const ACCOUNT_KEYS = [
  'name',
  'uin',
  'appid',
  'regions',
  'secret_id_env',
  'secret_key_env',
  'security_token_env',
  'channel',
] as const;

/** The account that environment-only configuration means. */
export function accountFromEnvironment(cos: CosConfig): AccountConfig {
  return {
    name: DEFAULT_ACCOUNT_NAME,
    uin: cos.uin,
    appId: cos.appId,
    regions: [...cos.regions],
    credentials: {
      secretId: cos.secretId,
      secretKey: cos.secretKey,
      ...(cos.securityToken === undefined ? {} : { securityToken: cos.securityToken }),
    },
    credentialVariables: {
      secretId: 'COS_SECRET_ID',
      secretKey: 'COS_SECRET_KEY',
      ...(cos.securityToken === undefined ? {} : { securityToken: 'COS_SECURITY_TOKEN' }),
    },
  };
}

/** What the COS client factory takes, for one account (COS_ENDPOINT, when set, applies to every account). */
export function cosConfigOf(account: AccountConfig, endpoint?: string): CosConfig {
  return {
    ...account.credentials,
    appId: account.appId,
    uin: account.uin,
    regions: [...account.regions],
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

/** The accounts a file declares, valid or not, so rules naming one are not blamed for its problems. */
export interface DeclaredAccounts {
  names: string[];
  regions: string[];
}

/** The `accounts:` list of a file; the named variables are looked up in `environment`. */
export function readAccounts(
  file: YamlFile,
  at: Located,
  environment: SettingSource,
): { accounts: AccountConfig[]; declared: DeclaredAccounts } {
  const declared: DeclaredAccounts = { names: [], regions: [] };
  const items = file.seq(at, 'one entry per Tencent Cloud account');
  if (items === undefined) return { accounts: [], declared };
  if (items.length === 0) file.problem(at, 'is empty: name at least one account, or leave accounts: out');
  const accounts = file
    .uniquelyNamed(items, 'account', (item) => readAccount(file, item, environment, declared))
    .map(({ value }) => value);
  return { accounts, declared };
}

function readAccount(
  file: YamlFile,
  at: Located,
  environment: SettingSource,
  declared: DeclaredAccounts,
): AccountConfig | undefined {
  const map = file.map(at, 'an account with name, uin, appid, regions, secret_id_env and secret_key_env');
  if (map === undefined) return undefined;
  const keys = file.entries(at, map, ACCOUNT_KEYS);
  const required = (key: (typeof ACCOUNT_KEYS)[number], what: string): Located | undefined => {
    const found = keys.get(key);
    if (found === undefined) file.problem(at, `needs ${key}: ${what}`);
    return found;
  };
  const problemsBefore = file.problems.length;

  const nameAt = required('name', 'how rules and people name this account, e.g. prod');
  const name = nameAt && file.string(nameAt, 'a name such as prod');
  if (nameAt && name !== undefined && !ACCOUNT_NAME_PATTERN.test(name)) {
    file.problem(
      nameAt,
      'must be lowercase letters, digits, - and _ (at most 32, starting with a letter or digit)',
    );
  }
  const uinAt = required('uin', 'the numeric account UIN, e.g. 100000000001');
  const uin = uinAt && numericId(file, uinAt, UIN_PATTERN, 'the numeric account UIN, e.g. 100000000001');
  const appIdAt = required('appid', 'the numeric APPID, e.g. 1250000000');
  const appId = appIdAt && numericId(file, appIdAt, APPID_PATTERN, 'the numeric APPID, e.g. 1250000000');
  const regionsAt = required('regions', 'the COS regions to watch, e.g. [ap-guangzhou]');
  const regions = regionsAt ? readRegions(file, regionsAt) : [];
  if (name !== undefined) declared.names.push(name);
  declared.regions.push(...regions);

  const secretId = credential(file, keys, 'secret_id_env', 'secretId', environment, at);
  const secretKey = credential(file, keys, 'secret_key_env', 'secretKey', environment, at);
  const token = keys.has('security_token_env')
    ? credential(file, keys, 'security_token_env', 'securityToken', environment, at)
    : undefined;

  const channel = readChannel(file, keys.get('channel'));
  if (file.problems.length > problemsBefore) return undefined;
  return {
    name: name!,
    uin: uin!,
    appId: appId!,
    regions,
    credentials: {
      secretId: secretId!.value,
      secretKey: secretKey!.value,
      ...(token === undefined ? {} : { securityToken: token.value }),
    },
    credentialVariables: {
      secretId: secretId!.variable,
      secretKey: secretKey!.variable,
      ...(token === undefined ? {} : { securityToken: token.variable }),
    },
    ...(channel === undefined ? {} : { channel }),
  };
}

/** An optional `channel:` (of an account or a rule): a Slack channel id. */
export function readChannel(file: YamlFile, at: Located | undefined): string | undefined {
  if (at === undefined) return undefined;
  const channel = file.string(at, 'a Slack channel id such as C0123ABCD');
  if (channel === undefined || SLACK_CHANNEL_ID_PATTERN.test(channel)) return channel;
  file.problem(at, 'must be a Slack channel id such as C0123ABCD (channel details → About)');
  return undefined;
}

function numericId(file: YamlFile, at: Located, pattern: RegExp, what: string): string | undefined {
  const value = file.scalarText(at)?.trim();
  if (value !== undefined && pattern.test(value)) return value;
  file.problem(at, `must be ${what}`);
  return undefined;
}

function readRegions(file: YamlFile, at: Located): string[] {
  const items = file.strings(at, 'COS regions, e.g. [ap-guangzhou, ap-shanghai]');
  if (items === undefined) return [];
  if (items.length === 0) file.problem(at, 'is empty: name at least one region, e.g. ap-guangzhou');
  const regions: string[] = [];
  for (const item of items) {
    const region = file.string(item, 'a COS region such as ap-guangzhou');
    if (region === undefined) continue;
    const problem = regionProblem(region);
    if (problem !== undefined) {
      file.problem(item, `${JSON.stringify(region.slice(0, 40))} ${problem}`);
      continue;
    }
    if (!isKnownRegion(region)) {
      file.warn(
        item,
        `names ${JSON.stringify(region)}, which is not among the COS regions Tencent documents: cosjob uses it as given`,
      );
    }
    if (regions.includes(region)) file.warn(item, `names ${region} twice`);
    else regions.push(region);
  }
  return regions;
}

/**
 * A `*_env` field: the name of a variable, which must be set to a well-formed credential. Neither the
 * field's value (it may be a pasted key) nor the variable's value is ever quoted.
 */
function credential(
  file: YamlFile,
  keys: Map<string, Located>,
  key: 'secret_id_env' | 'secret_key_env' | 'security_token_env',
  kind: CredentialKind,
  environment: SettingSource,
  account: Located,
): { variable: string; value: string } | undefined {
  const at = keys.get(key);
  if (at === undefined) {
    file.problem(
      account,
      `needs ${key}: the name of the environment variable that holds the ${kindName(kind)}`,
    );
    return undefined;
  }
  const variable = file.scalarText(at)?.trim();
  if (variable === undefined || variable === '') {
    file.problem(
      at,
      `must name the environment variable that holds the ${kindName(kind)}, e.g. PROD_COS_SECRET_ID`,
    );
    return undefined;
  }
  if (LOOKS_LIKE_A_KEY.test(variable) && !variable.includes('_')) {
    file.problem(
      at,
      `looks like a key itself, not the name of an environment variable (value not shown): secrets never go in the file; remove it from the file (and rotate it, if the file was shared), put the ${kindName(kind)} in an environment variable and name that variable here`,
    );
    return undefined;
  }
  if (!VARIABLE_NAME.test(variable)) {
    file.problem(
      at,
      'must be an environment variable name: upper-case letters, digits and _, e.g. PROD_COS_SECRET_ID (value not shown)',
    );
    return undefined;
  }
  const value = environment.get(variable)?.trim();
  if (value === undefined || value === '') {
    file.problem(
      at,
      `names ${variable}, which is not set in the environment: set it to the ${kindName(kind)}`,
    );
    return undefined;
  }
  const problem = credentialProblem(kind, value);
  if (problem !== undefined) {
    file.problem(at, `names ${variable}, which is malformed: ${problem}; copy it again from the CAM console`);
    return undefined;
  }
  return { variable, value };
}

function kindName(kind: CredentialKind): string {
  return kind === 'secretId' ? 'SecretId' : kind === 'secretKey' ? 'SecretKey' : 'STS session token';
}
