import type { FastifyInstance } from 'fastify';
import { PromptShareError, UnknownPromptVersionError } from '../store/characterPrompts';
import type { Store } from '../store/mongo';
import { HttpError } from './http';
import { integer, object, param, pathParams, responses, text } from './schemas';

const CHARACTER = '[\\w-]{1,64}';
const MAX_REASON_CHARS = 500;

/**
 * POST /prompts/:character/share {version, ab_test_percentage, reason?}: sets a challenger's share
 * of sessions (0 stops its test), logged in its change_log. Refused with 400 when the challengers
 * would take more than 100% together, 409 for the default version (it serves every other session).
 */
export function promptShareRoutes(app: FastifyInstance, options: { store: Store }): void {
  app.post<{
    Params: { character: string };
    Body: { version: string; ab_test_percentage: number; reason: string };
  }>(
    `/prompts/${param('character', CHARACTER)}/share`,
    {
      schema: {
        summary: "set a challenger's A/B share",
        params: pathParams({ character: CHARACTER }),
        body: object(
          {
            version: text(64, 'the challenger'),
            ab_test_percentage: integer(0, 100, 'its share of sessions'),
            reason: text(MAX_REASON_CHARS, 'for the change log', {
              default: 'share set through the admin API',
            }),
          },
          ['version', 'ab_test_percentage'],
        ),
        response: responses({ 200: 'the version as it is now' }, [400, 404, 409, 413]),
      },
    },
    async (request) => {
      const { version, ab_test_percentage: share, reason } = request.body;
      try {
        return await options.store.characterPrompts.setShare(
          request.params.character,
          version,
          share,
          'admin',
          reason,
        );
      } catch (err) {
        if (err instanceof UnknownPromptVersionError) throw new HttpError(404, err.message);
        if (err instanceof PromptShareError)
          throw new HttpError(err.reason === 'total' ? 400 : 409, err.message);
        throw err;
      }
    },
  );
}
