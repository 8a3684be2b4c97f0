import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http';

/**
 * Whether `given` is the admin token. Both are hashed first, so the comparison takes the same
 * time whatever the lengths (a plain timingSafeEqual needs equal lengths and would leak them).
 */
export function tokenMatches(given: string, token: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The onRequest hook of every protected route: `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdmin(token: string | undefined) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    if (!token) return done(new HttpError(503, 'admin routes are disabled: set ADMIN_TOKEN'));
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!tokenMatches(given, token)) {
      return done(new HttpError(401, 'missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)'));
    }
    done();
  };
}
