/**
 * Logging through winston: human-readable text by default, JSON lines with `--json`. Actors log through child
 * loggers keyed by ids (`directiveId`, `backlogId`); nothing is logged per event at info level.
 */

import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'silly';

export interface LoggerOptions {
  readonly json: boolean;
  readonly level: LogLevel;
  /** Where lines go: stdout for `serve` (containers), stderr for the offline commands. */
  readonly stream: 'stdout' | 'stderr';
}

/** winston's lowest level is `silly`; the lines say `trace`, the name of the setting (`--trace`, `-vv`) that shows them. */
const traceLabel = winston.format((info) => {
  if (info.level === 'silly') info.level = 'trace';
  return info;
});

export function createLogger(options: LoggerOptions): Logger {
  const base = [traceLabel(), winston.format.timestamp(), winston.format.errors({ stack: false })];
  const format = options.json
    ? winston.format.combine(...base, winston.format.json())
    : winston.format.combine(
        ...base,
        winston.format.printf((info) => {
          const { timestamp, level, message, ...fields } = info;
          const rest = Object.entries(fields)
            .filter(([k]) => typeof k === 'string')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
            .join(' ');
          return `${String(timestamp)} ${level.toUpperCase().padEnd(5)} ${String(message)}${rest ? ` ${rest}` : ''}`;
        }),
      );
  const transport =
    options.stream === 'stdout'
      ? new winston.transports.Stream({ stream: process.stdout })
      : new winston.transports.Stream({ stream: process.stderr });
  return winston.createLogger({ level: options.level, format, transports: [transport] });
}

/** A logger that drops everything (tests and benchmarks). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
