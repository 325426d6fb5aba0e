import type { LoggerOptions } from 'pino';

/**
 * Pino options for the server. Credentials are redacted wherever they might appear; message
 * bodies are logged only at debug level by the code that handles them.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.passwordHash',
        '*.token',
        '*.jwtSecret',
        '*.encryptionKey',
        '*.secret',
        '*.qr',
        '*.qrCode',
      ],
      censor: '[redacted]',
    },
  };
}
