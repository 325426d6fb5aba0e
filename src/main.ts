import 'dotenv/config';

import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';

import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { DatabaseUnreachableError, databaseWhere, migrateWhenReachable } from './db/startup.js';
import { loggerOptions } from './shared/logger.js';

/** The only file that touches the process: config, database, listen, and ordered shutdown. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = pino(loggerOptions(config.log.level));
  const database = await openDatabase(config.db);
  if (config.db.kind === 'postgres') {
    await migrateWhenReachable(database, {
      timeoutMs: config.db.startupTimeoutMs,
      log: logger,
      where: databaseWhere(config.db.url),
    });
  } else {
    await database.migrate();
  }
  logger.info({ database: database.kind, engine: config.whatsapp.engine }, 'database ready');

  const { http, modules } = await buildApp({ config, database, logger });

  closeWithGrace({ delay: config.http.shutdownTimeoutMs, logger }, async ({ signal, err }) => {
    if (err) {
      logger.error({ err }, 'shutting down after an unexpected error');
    } else {
      logger.info({ signal }, 'shutting down');
    }
    // Stop accepting, let in-flight requests finish, stop engines (credentials kept), then release the database.
    await http.close();
    await database.close();
    logger.info('shutdown complete');
  });

  await http.listen({ port: config.http.port, host: config.http.host });
  await modules.start();
}

main().catch((err: unknown) => {
  if (err instanceof DatabaseUnreachableError) {
    process.stderr.write(`Failed to start: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
