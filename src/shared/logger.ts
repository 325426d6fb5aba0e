import { type LoggerOptions, stdSerializers } from 'pino';

/**
 * A failed query's error carries its parameters (Drizzle puts them in the message): passwords'
 * hashes, message text. Only the SQL and the driver's own code and message are logged.
 */
export function serializeError(err: unknown) {
  if (err instanceof Error && 'query' in err && 'params' in err) {
    const cause = err.cause as { code?: unknown; message?: unknown; constraint?: unknown } | undefined;
    return {
      type: err.name,
      message: 'Failed query',
      query: String((err as { query: unknown }).query),
      cause: cause ? { code: cause.code, message: cause.message, constraint: cause.constraint } : undefined,
    };
  }
  return err instanceof Error ? stdSerializers.err(err) : err;
}

/**
 * Pino options for the server. Credentials are redacted wherever they might appear; message
 * bodies are logged only at debug level by the code that handles them.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers: { err: serializeError },
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
