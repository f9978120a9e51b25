/**
 * The word lists of the report: names that look like personal or secret data, slicing arguments, and
 * login-like operations. Names are split into lower-case parts (`dateOfBirth` → date, of, birth;
 * `card_number` → card, number) and matched part by part, so `discardReason` is not a card.
 */

/** Name parts that look like personal or secret data (matched case-insensitively, whole parts). */
export const PII_WORDS: readonly string[] = [
  'email',
  'phone',
  'mobile',
  'address',
  'password',
  'passphrase',
  'secret',
  'token',
  'card',
  'cvc',
  'cvv',
  'iban',
  'ssn',
  'birth',
  'birthday',
  'birthdate',
  'dob',
  'passport',
  'salary',
  'otp',
];

/** Argument names that slice a list (the limits package's default `cost.slicingArgumentNames`). */
export const SLICING_ARGUMENTS: readonly string[] = ['first', 'last', 'limit', 'take', 'pageSize', 'perPage'];

/** Login-like operation names, as sequences of name parts (`signIn` → sign, in). */
export const LOGIN_PHRASES: readonly (readonly string[])[] = [
  ['login'],
  ['log', 'in'],
  ['logon'],
  ['sign', 'in'],
  ['signin'],
  ['authenticate'],
  ['reset', 'password'],
  ['forgot', 'password'],
  ['change', 'password'],
  ['request', 'password', 'reset'],
  ['verify', 'otp'],
  ['verify', 'code'],
  ['verify', 'mfa'],
  ['verify', 'totp'],
  ['verify', '2fa'],
  ['redeem', 'token'],
];

/** The lower-case parts of a name: camelCase, PascalCase, snake_case, kebab-case and digits split. */
export function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p.toLowerCase());
}

/** Whether a name looks like personal or secret data (one of its parts is in {@link PII_WORDS}). */
export function looksPersonal(name: string): boolean {
  return nameParts(name).some((p) => PII_WORDS.includes(p));
}

/** Whether a name looks like a login-like operation (contains one of {@link LOGIN_PHRASES}). */
export function looksLikeLogin(name: string): boolean {
  const parts = nameParts(name);
  return LOGIN_PHRASES.some((phrase) => parts.some((_, i) => phrase.every((word, j) => parts[i + j] === word)));
}
