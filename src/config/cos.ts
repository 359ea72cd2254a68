/** The COS account, its key and the regions to watch. */
import { APPID_PATTERN, type CredentialKind, credentialProblem, UIN_PATTERN } from '../cos/credentials.js';
import { closestKnownRegion, isKnownRegion, isValidRegion } from '../cos/region.js';
import { EnvReader, type SettingReader } from './reader.js';
import { SETTINGS, type Setting } from './settings.js';
import type { Env } from './source.js';

export interface CosConfig {
  secretId: string;
  secretKey: string;
  securityToken?: string;
  appId: string;
  uin: string;
  regions: string[];
  /** When set, every region's requests go to this origin (emulator, tests) with the real Host header. */
  endpoint?: string;
}

/** A credential is checked by the COS rules; the problem names the setting and never quotes the value. */
function credential(reader: SettingReader, setting: Setting, kind: CredentialKind): string | undefined {
  const value = reader.text(setting);
  if (value === undefined) return undefined;
  const problem = credentialProblem(kind, value);
  if (problem === undefined) return value;
  reader.problem(
    setting,
    `is malformed: ${problem}; copy it again from the CAM console (printable ASCII, no spaces)`,
  );
  return undefined;
}

/** What is wrong with a region name (a suggestion for a near miss), or undefined when it can be used. */
export function regionProblem(item: string): string | undefined {
  if (isKnownRegion(item)) return undefined;
  const suggestion = closestKnownRegion(item);
  if (suggestion !== undefined) return `is not a COS region: did you mean ${suggestion}?`;
  if (!isValidRegion(item)) return 'is not a COS region name (expected names such as ap-guangzhou)';
  return undefined;
}

function readRegions(reader: SettingReader): string[] {
  const setting = SETTINGS.COS_REGIONS;
  if (reader.text(setting) === undefined) return [];
  const regions = [...new Set(reader.list(setting, regionProblem))];
  if (regions.length === 0 && !reader.hasProblem(setting)) {
    reader.problem(setting, 'is empty: name at least one region, e.g. ap-guangzhou');
  }
  for (const region of regions.filter((r) => !isKnownRegion(r))) {
    reader.warn(
      setting,
      `names ${JSON.stringify(region)}, which is not among the COS regions Tencent documents: cosjob uses it as given`,
    );
  }
  return regions;
}

/** COS_ENDPOINT: when set, every account's requests go to this origin (an emulator, tests). */
export function readCosEndpoint(reader: SettingReader): string | undefined {
  return reader.url(SETTINGS.COS_ENDPOINT, ['http:', 'https:']);
}

/**
 * The environment's account: COS_SECRET_ID, COS_SECRET_KEY, COS_APPID, COS_UIN, COS_REGIONS (all required
 * here; read only when no COSJOB_CONFIG file declares accounts) with `endpoint` (COS_ENDPOINT, read by the
 * caller once for every account) or, when not given, COS_ENDPOINT read here.
 */
export function readCosConfig(reader: SettingReader, endpoint = readCosEndpoint(reader)): CosConfig {
  const secretId = credential(reader, SETTINGS.COS_SECRET_ID, 'secretId') ?? '';
  const secretKey = credential(reader, SETTINGS.COS_SECRET_KEY, 'secretKey') ?? '';
  const securityToken = credential(reader, SETTINGS.COS_SECURITY_TOKEN, 'securityToken');
  const appId =
    reader.matching(SETTINGS.COS_APPID, APPID_PATTERN, 'the numeric APPID, e.g. 1250000000') ?? '';
  const uin =
    reader.matching(SETTINGS.COS_UIN, UIN_PATTERN, 'the numeric account UIN, e.g. 100000000001') ?? '';
  const regions = readRegions(reader);
  return {
    secretId,
    secretKey,
    ...(securityToken !== undefined ? { securityToken } : {}),
    appId,
    uin,
    regions,
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/** The COS part alone, for the CLI's job commands. */
export function loadCosConfig(env: Env): CosConfig {
  const reader = new EnvReader(env);
  const cos = readCosConfig(reader);
  reader.throwIfProblems();
  return cos;
}
