/**
 * The formats of a COS account's identifiers and API key: the UIN (the endpoint host's first label), the
 * APPID (sent as x-cos-appid), and the SecretId, SecretKey and STS token that sign every request.
 */

export const UIN_PATTERN = /^\d{1,20}$/;
export const APPID_PATTERN = /^\d{1,64}$/;

export type CredentialKind = 'secretId' | 'secretKey' | 'securityToken';

/**
 * The key parts go into the signed Authorization header (and x-cos-security-token), so they must be
 * printable ASCII without spaces; the limits are generous upper bounds for a SecretId (36 characters
 * today), a SecretKey (32) and an STS session token (about 1–2 KB).
 */
export const CREDENTIAL_MAX_LENGTH: Readonly<Record<CredentialKind, number>> = {
  secretId: 128,
  secretKey: 256,
  securityToken: 8192,
};

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * What is wrong with a credential, in words that never quote the value (not even in part), or undefined
 * when it is well formed. A space or control character inside a key (a copy-paste across lines, a stray
 * quote) would otherwise only fail much later, as a signature mismatch.
 */
export function credentialProblem(kind: CredentialKind, value: string): string | undefined {
  const max = CREDENTIAL_MAX_LENGTH[kind];
  if (value === '') return 'it is empty';
  if (/[ \t\r\n]/.test(value)) return 'it contains a space, tab or line break';
  if (CONTROL_CHARACTER.test(value)) return 'it contains a control character';
  if (!PRINTABLE_ASCII.test(value))
    return 'it contains a character outside printable ASCII (a typographic quote or dash?)';
  if (value.length > max) return `it is longer than ${max} characters`;
  return undefined;
}

export function isWellFormedCredential(kind: CredentialKind, value: string): boolean {
  return credentialProblem(kind, value) === undefined;
}
