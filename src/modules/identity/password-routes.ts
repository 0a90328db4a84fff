import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses, Strict } from '../../platform/http/schemas.ts';
import { codePointLength, isCommonPassword, PASSWORD_MAX_LENGTH, type PasswordRules } from './password-policy.ts';
import { estimatePasswordStrength } from './password-strength.ts';

/**
 * `POST /api/v1/auth/password/strength` (AUTH-1): the zxcvbn estimate for a candidate password,
 * for the strength meter beside a password field. Public (sign-up, invite and reset pages need it),
 * under the stricter per-IP limit; the password is never logged (request bodies are not logged).
 */
export function registerPasswordRoutes(server: FastifyInstance, deps: { rules: PasswordRules }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/api/v1/auth/password/strength', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: {
      tags: ['identity'],
      summary: 'Estimate the strength of a candidate password (zxcvbn score 0–4 and advice); nothing is stored',
      body: Strict({
        password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH * 4 }),
        email: Type.Optional(Type.String({ maxLength: 254 })),
        display_name: Type.Optional(Type.String({ maxLength: 100 })),
      }),
      response: {
        200: Strict({
          score: Type.Integer({ minimum: 0, maximum: 4 }),
          guesses_log10: Type.Number(),
          warning: Type.Union([Type.String(), Type.Null()]),
          suggestions: Type.Array(Type.String()),
          common: Type.Boolean({ description: 'In the bundled list of common passwords (refused)' }),
          acceptable: Type.Boolean({ description: 'Whether setting this password would pass every rule (length, common list, minimum score)' }),
          min_score: Type.Integer(),
          min_length: Type.Integer(),
        }),
        ...errorResponses(400, 429),
      },
    },
    handler: async (request) => {
      const body = request.body;
      const length = codePointLength(body.password);
      const tooLong = length > PASSWORD_MAX_LENGTH || Buffer.byteLength(body.password, 'utf8') > PASSWORD_MAX_LENGTH * 4;
      // Over-long input is not estimated (bounded CPU); it could not be set anyway.
      const strength = tooLong ? { score: 0 as const, guessesLog10: 0, warning: `At most ${PASSWORD_MAX_LENGTH} characters.`, suggestions: [] } : estimatePasswordStrength(body.password, [body.email, body.display_name].filter((x): x is string => x !== undefined));
      const common = !tooLong && isCommonPassword(body.password);
      const acceptable = !tooLong && !common && length >= deps.rules.minLength && (deps.rules.minScore === 0 || strength.score >= deps.rules.minScore);
      return {
        score: strength.score,
        guesses_log10: strength.guessesLog10,
        warning: strength.warning,
        suggestions: [...strength.suggestions],
        common,
        acceptable,
        min_score: deps.rules.minScore,
        min_length: deps.rules.minLength,
      };
    },
  });
}
