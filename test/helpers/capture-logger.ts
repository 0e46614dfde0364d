// A winston logger that keeps what it is given, for tests that check what an actor reported.
import winston from 'winston';
import Transport from 'winston-transport';

export interface Captured {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

class MemoryTransport extends Transport {
  constructor(private readonly lines: Captured[]) {
    super();
  }
  override log(info: Record<string, unknown>, next: () => void): void {
    const { level, message, ...fields } = info;
    this.lines.push({ level: String(level), message: String(message), fields });
    next();
  }
}

export function captureLogger(level: 'info' | 'debug' | 'silly' = 'debug'): { log: winston.Logger; lines: Captured[] } {
  const lines: Captured[] = [];
  const log = winston.createLogger({ level, transports: [new MemoryTransport(lines)] });
  return { log, lines };
}
