import { AjvCompiler, type Options } from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { MESSAGE, type Schema } from './schemas';

/**
 * Ajv options shared by every part of a request:
 * - allErrors: every problem of a body in one answer ("a; b"). Fastify leaves it off because a
 *   huge document can make Ajv work long; here bodies are at most 64 KiB and every string and array
 *   in a schema is bounded.
 * - verbose: each error carries the schema it failed, which the messages are worded from.
 * - removeAdditional off: `additionalProperties: false` refuses an unknown field (Fastify's default
 *   silently drops it).
 * - useDefaults: an absent field takes its schema's `default` (documented in the OpenAPI document).
 * - allowUnionTypes: a field may be an object or null (quiet_hours_utc).
 * - keywords: MESSAGE is an annotation Ajv's strict mode would otherwise refuse.
 */
const AJV_OPTIONS: Options = {
  allErrors: true,
  verbose: true,
  removeAdditional: false,
  useDefaults: true,
  allowUnionTypes: true,
  keywords: [MESSAGE],
};

/**
 * Turns Fastify's request validation on for every route schema, with two Ajv instances: type
 * coercion is a per-instance option, and it must differ by part. A JSON body keeps its types (5 where
 * a string belongs is refused, not read as "5", nor "5" as 5), while query strings and path
 * parameters are always text and become the integers their schemas ask for (`?limit=20`). Fastify's
 * own Ajv compiler (the one it uses by default, same version) builds both. Problems are answered 400
 * with validationMessage's wording.
 */
export function validateRequests(app: FastifyInstance): void {
  const compilers = AjvCompiler();
  const bodies = compilers({}, { customOptions: { ...AJV_OPTIONS, coerceTypes: false } });
  const texts = compilers({}, { customOptions: { ...AJV_OPTIONS, coerceTypes: true } });
  app.setValidatorCompiler((route) => (route.httpPart === 'body' ? bodies : texts)(route));
  app.setSchemaErrorFormatter((errors) => new Error(validationMessage(errors)));
}

/** What Ajv reports with `verbose`: the failed keyword's schema and the schema holding it. */
type AjvError = FastifySchemaValidationError & { parentSchema?: Schema };

/**
 * One message for a request's problems, each naming its field, joined with "; " (unknown fields
 * first, each problem once): a schema's MESSAGE when it has one, else worded from the schema.
 */
export function validationMessage(errors: FastifySchemaValidationError[]): string {
  const messages = [...new Set((errors as AjvError[]).map(messageOf))];
  const unknown = messages.filter((message) => message.startsWith('unknown field'));
  return [...unknown, ...messages.filter((message) => !unknown.includes(message))].join('; ');
}

function messageOf(error: AjvError): string {
  const path = error.instancePath.split('/').slice(1).join('.');
  const within = (name: unknown) => (path ? `${path}.${String(name)}` : String(name));
  if (error.keyword === 'additionalProperties')
    return `unknown field "${within(error.params.additionalProperty)}"`;
  let field = path;
  let schema = error.parentSchema;
  if (error.keyword === 'required') {
    field = within(error.params.missingProperty);
    schema = (schema?.properties as Record<string, Schema> | undefined)?.[field.split('.').pop() ?? ''];
  }
  if (typeof schema?.[MESSAGE] === 'string') return schema[MESSAGE];
  return `${field || 'request'}: ${expected(error, schema ?? {})}`;
}

/** What the value should have been, from its schema. */
function expected(error: AjvError, schema: Schema): string {
  if (Array.isArray(schema.enum)) return `expected one of ${schema.enum.join(', ')}`;
  switch (schema.type) {
    case 'string':
      if (error.keyword === 'maxLength') return `at most ${String(schema.maxLength)} characters`;
      if (error.keyword === 'pattern') return `expected a string matching ${String(schema.pattern)}`;
      if (error.keyword === 'format') return `expected a ${String(schema.format)}`;
      return 'expected a non-empty string';
    case 'integer':
      return `expected an integer ${String(schema.minimum)}-${String(schema.maximum)}`;
    case 'boolean':
      return 'expected true or false';
    case 'array':
      return `expected an array of ${Number(schema.minItems ?? 0)}-${schema.maxItems === undefined ? 'any number of' : Number(schema.maxItems)} items`;
    default:
      return error.message ?? `failed ${error.keyword}`;
  }
}
