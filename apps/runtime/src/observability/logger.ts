// Structured JSON logs (pino, one JSON object a line). Level from FLOWDESK_LOG_LEVEL (default info).
// Every line of a run's work goes through runLogger, so it carries runId and flowId.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { SENSITIVE_HEADERS } from '../security/redact.ts';

export type FlowdeskLogger = PinoLogger;

/** What the runtime logs through: pino in production, anything with these methods in tests. */
export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug?(obj: object | string, msg?: string): void;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoggerOptions {
  /** default: env.FLOWDESK_LOG_LEVEL, else "info" */
  level?: string;
  /** where the JSON lines go; default stdout (asynchronous pino destination) */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** default process.env */
  env?: Record<string, string | undefined>;
}

/** Credential headers are censored wherever a logged object carries `headers` (one or two levels down). */
const REDACT_PATHS = SENSITIVE_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`]);

export function createLogger(opts: LoggerOptions = {}): FlowdeskLogger {
  const env = opts.env ?? process.env;
  const level = (opts.level ?? env.FLOWDESK_LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`FLOWDESK_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`);
  }
  return pino(
    {
      level,
      base: { service: 'flowdesk' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    (opts.destination as DestinationStream | undefined) ?? pino.destination({ sync: false }),
  );
}

/** A child logger whose every line carries the run's id and flow id. */
export function runLogger(log: FlowdeskLogger, run: { id: string; flowId: string }): FlowdeskLogger {
  return log.child({ runId: run.id, flowId: run.flowId });
}
