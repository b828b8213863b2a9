// Structured logging for the broker: JSON lines (--json) or readable text, to stderr
// by default. The app passes its own Logger; tests pass silentLogger.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void;
  /** Added to every line, e.g. { component: 'broker' }. */
  base?: LogFields;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = options.base ?? {};
  const log = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const time = new Date().toISOString();
    const all = { ...base, ...fields };
    if (options.json) {
      write(JSON.stringify({ time, level, msg: message, ...all }));
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${textValue(v)}`)
        .join(' ');
      write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extra ? ' ' + extra : ''}`);
    }
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
