import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AdminSession, AdminSessions } from '../store/adminSessions';
import { HttpError } from './http';
import { WrongTokenThrottle } from './throttle';

/** The dashboard's session cookie (HttpOnly, SameSite=Strict: see sessionRoutes.ts). */
export const SESSION_COOKIE = 'fg_admin_session';
/** The header a cookie-authenticated state-changing request carries its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing, so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether `given` is `secret`. Both are hashed first, so the comparison takes the same time
 * whatever the lengths (a plain timingSafeEqual needs equal lengths and would leak them).
 */
function secretMatches(given: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * Who may call the admin API: API clients (CLI, curl) with `Authorization: Bearer <ADMIN_TOKEN>`,
 * browsers with a session cookie from POST /session plus, on state-changing requests, the
 * session's CSRF token in x-csrf-token (a cross-site page can make the browser send the cookie,
 * never that header). The token is read from the header or the sign-in body only, never a URL.
 */
export class AdminAuth {
  private readonly throttle = new WrongTokenThrottle();

  constructor(
    private readonly token: string | undefined,
    readonly sessions: AdminSessions,
  ) {}

  /** The onRequest hook of every protected route. */
  readonly requireAdmin = async (request: FastifyRequest): Promise<void> => {
    if (request.headers.authorization !== undefined) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization)?.[1];
      if (given === undefined) throw this.noToken();
      return this.checkToken(request, given);
    }
    const session = await this.sessionOf(request);
    if (!session) throw this.noToken();
    if (!SAFE_METHODS.has(request.method)) requireCsrf(request, session);
  };

  /**
   * Compares a presented admin token: 503 when none is configured, 429 while the caller's address
   * is blocked, 401 (after the throttle's delay) when wrong.
   */
  async checkToken(request: FastifyRequest, given: string): Promise<void> {
    const token = this.configured();
    this.throttle.check(request.ip);
    if (!secretMatches(given, token)) {
      await this.throttle.failed(request.ip);
      throw new HttpError(401, 'wrong admin token');
    }
    this.throttle.succeeded(request.ip);
  }

  /** The live session the request's cookie names, if any. */
  async sessionOf(request: FastifyRequest): Promise<AdminSession | null> {
    this.configured();
    const id = request.cookies[SESSION_COOKIE];
    return id ? this.sessions.live(id) : null;
  }

  private configured(): string {
    if (!this.token) throw new HttpError(503, 'admin routes are disabled: set ADMIN_TOKEN');
    return this.token;
  }

  private noToken(): HttpError {
    this.configured();
    return new HttpError(
      401,
      'missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>), and no live session (POST /session)',
    );
  }
}

/** 403 unless the request carries the session's CSRF token. */
export function requireCsrf(request: FastifyRequest, session: AdminSession): void {
  const given = request.headers[CSRF_HEADER];
  if (typeof given !== 'string' || !secretMatches(given, session.csrf_token)) {
    throw new HttpError(403, 'missing or wrong CSRF token');
  }
}
