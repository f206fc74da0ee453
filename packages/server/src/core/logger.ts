/** The structured logger (pino). Never log payloads or secrets at info level. */
import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';

export type Logger = PinoLogger;

export interface LoggerConfig {
  readonly level: string;
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: 'gatehouse' },
    redact: { paths: ['*.password', '*.key', '*.privateKey', '*.token', '*.adminKey', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return config.destination ? pino(options, config.destination as DestinationStream) : pino(options);
}

/** A logger that drops everything, for tests and tools that want silence. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
