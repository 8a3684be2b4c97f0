import type { FastifyInstance } from 'fastify';
import { type AdminAuth, CSRF_HEADER, requireCsrf, SESSION_COOKIE } from './auth';
import { HttpError } from './http';
import { object, responses, string, text } from './schemas';

const csrfAnswer = object({ csrf_token: string(`send it back in ${CSRF_HEADER} on every non-GET request`) }, [
  'csrf_token',
]);

/**
 * The dashboard's sign-in: POST /session trades the admin token for a session cookie (HttpOnly:
 * page scripts cannot read it; SameSite=Strict: other sites' pages do not send it; Secure with
 * ADMIN_COOKIE_SECURE) and the session's CSRF token; GET /session gives a reloaded page its CSRF
 * token back; DELETE /session signs out. Open routes: each checks what it needs itself.
 */
export function sessionRoutes(
  app: FastifyInstance,
  options: { auth: AdminAuth; cookieSecure: boolean },
): void {
  const { auth } = options;
  const cookie = { httpOnly: true, sameSite: 'strict', path: '/', secure: options.cookieSecure } as const;

  app.post<{ Body: { token: string } }>(
    '/session',
    {
      schema: {
        summary: 'sign in with the admin token (sets the session cookie)',
        security: [],
        body: object({ token: text(1000, 'ADMIN_TOKEN') }, ['token']),
        response: {
          ...responses({}, [400, 401, 413, 429, 503]),
          200: { description: `the session's CSRF token; Set-Cookie: ${SESSION_COOKIE}`, ...csrfAnswer },
        },
      },
    },
    async (request, reply) => {
      await auth.checkToken(request, request.body.token);
      const session = await auth.sessions.create();
      return reply.setCookie(SESSION_COOKIE, session.id, cookie).send({ csrf_token: session.csrfToken });
    },
  );

  app.get(
    '/session',
    {
      schema: {
        summary: "the signed-in session's CSRF token",
        security: [],
        response: { ...responses({}, [401, 503]), 200: { description: 'a live session', ...csrfAnswer } },
      },
    },
    async (request) => {
      const session = await auth.sessionOf(request);
      if (!session) throw new HttpError(401, 'not signed in');
      return { csrf_token: session.csrf_token };
    },
  );

  app.delete(
    '/session',
    {
      schema: {
        summary: 'sign out (a live session needs its CSRF token)',
        security: [],
        response: { ...responses({}, [403, 503]), 204: { description: 'signed out', type: 'null' } },
      },
    },
    async (request, reply) => {
      const session = await auth.sessionOf(request);
      if (session) {
        requireCsrf(request, session);
        await auth.sessions.end(request.cookies[SESSION_COOKIE] as string);
      }
      return reply.clearCookie(SESSION_COOKIE, cookie).code(204).send();
    },
  );
}
