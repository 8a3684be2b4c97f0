/** `uri` with the password of its user info (mongodb://user:password@host) masked, for logs and terminals. */
export function withoutPassword(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}
