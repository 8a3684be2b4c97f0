/**
 * Keeping credentials out of what is printed: the one place URLs and messages are masked.
 * (Tokens never reach a message; the logger's redact list is the last line of defence.)
 */

const USER_INFO_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):([^@/?#]*)@/i;

/** `uri` with the password of its user info (mongodb://user:password@host) masked, for logs and terminals. */
export function withoutPassword(uri: string): string {
  return uri.replace(USER_INFO_PASSWORD, '$1:***@');
}

/** `message` without the password of `uri` (as written and URL-decoded) or `uri` itself in full. */
export function scrubPassword(message: string, uri: string): string {
  const password = USER_INFO_PASSWORD.exec(uri)?.[2];
  if (!password) return message;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // not URL-encoded: the raw form is all there is
  }
  return message.split(uri).join(withoutPassword(uri)).split(password).join('***').split(decoded).join('***');
}
