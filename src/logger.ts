import pino from 'pino';

/**
 * One structured logger for every process. Secrets never reach it: tokens are not
 * logged anywhere, and the redact list below is a second line of defence for objects
 * that might carry them.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'family-guy-bots' },
  // Temporal's SDK logs failures under `error` (e.g. "Activity failed"): keep their message
  // and stack, not just the enumerable fields of the Error.
  serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  redact: {
    paths: [
      'token',
      '*.token',
      'authorization',
      '*.authorization',
      'headers.authorization',
      'adminToken',
      '*.adminToken',
      'discordTokens',
      '*.discordTokens',
    ],
    censor: '[redacted]',
  },
});

export type Logger = pino.Logger;

type TemporalLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Temporal's SDK logger interface over pino, so workflow and activity logs (which carry
 * workflowId, runId and activity ids as metadata) land in the same structured stream.
 */
export function temporalLogger(base: Logger) {
  const log = (level: TemporalLevel, message: string, meta?: Record<string, unknown>) => {
    base[level.toLowerCase() as 'info'](meta ?? {}, message);
  };
  return {
    log,
    trace: (message: string, meta?: Record<string, unknown>) => log('TRACE', message, meta),
    debug: (message: string, meta?: Record<string, unknown>) => log('DEBUG', message, meta),
    info: (message: string, meta?: Record<string, unknown>) => log('INFO', message, meta),
    warn: (message: string, meta?: Record<string, unknown>) => log('WARN', message, meta),
    error: (message: string, meta?: Record<string, unknown>) => log('ERROR', message, meta),
  };
}
