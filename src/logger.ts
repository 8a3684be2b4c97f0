import pino from 'pino';
import PinoPretty from 'pino-pretty';

/**
 * LOG_FORMAT (validated with the other settings in src/config.ts): `pretty` (one readable
 * line per entry), `json` (pino's JSON lines) or `auto`, the default: pretty on a terminal,
 * JSON when stdout is a pipe or a file (log collectors, tests).
 */
export function prettyLogs(format: string | undefined, stdoutIsTty: boolean): boolean {
  const chosen = format?.trim().toLowerCase() || 'auto';
  return chosen === 'pretty' || (chosen === 'auto' && stdoutIsTty);
}

/**
 * Where log lines go when something other than stdout should receive them: a test harness
 * sets this global before the app's modules load (test/setup/quietLogsEnvironment.ts sends
 * the tests' logs to a file and prints them for failing tests only). Production never sets it.
 */
export const LOG_DESTINATION = Symbol.for('family-guy-bots.logDestination');

function destination(): pino.DestinationStream {
  const injected = (globalThis as Record<symbol, unknown>)[LOG_DESTINATION];
  if (injected) return injected as pino.DestinationStream;
  if (!prettyLogs(process.env.LOG_FORMAT, process.stdout.isTTY === true)) {
    return pino.destination({ dest: 1, sync: true });
  }
  return PinoPretty({
    sync: true, // nothing lost when the process exits right after logging
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
  });
}

/**
 * One structured logger for every process. Secrets never reach it: tokens are not
 * logged anywhere, and the redact list below is a second line of defence for objects
 * that might carry them.
 */
export const logger = pino(
  {
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
        // HTTP requests (the admin API): credentials and the sign-in body never reach a log line.
        '*.headers.authorization',
        'headers.cookie',
        '*.headers.cookie',
        '*.headers["set-cookie"]',
        'req.body',
        'adminToken',
        '*.adminToken',
        'discordTokens',
        '*.discordTokens',
      ],
      censor: '[redacted]',
    },
  },
  destination(),
);

export type Logger = pino.Logger;

type TemporalLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * What the SDK says on every normal start that is no news, logged at debug instead:
 * the LLM-queue worker has activities only by design (the SDK warns about that), neither
 * worker serves Nexus, and the workflow bundler reports webpack's multi-line asset table.
 */
function routineSdkMessage(level: TemporalLevel, message: string): boolean {
  if (level === 'WARN') return message === 'No workflows registered, not polling for workflow tasks';
  return level === 'INFO' && (message.includes('\n') || message.startsWith('No Nexus services registered'));
}

/**
 * Temporal's SDK logger interface over pino, so workflow and activity logs (which carry
 * workflowId, runId and activity ids as metadata) land in the same structured stream.
 */
export function temporalLogger(base: Logger) {
  const log = (level: TemporalLevel, message: string, meta?: Record<string, unknown>) => {
    const pinoLevel = routineSdkMessage(level, message) ? 'debug' : (level.toLowerCase() as 'info');
    base[pinoLevel](meta ?? {}, message);
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
