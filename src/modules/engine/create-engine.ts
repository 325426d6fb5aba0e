import { join } from 'node:path';

import type { Logger } from 'pino';

import type { ApiApp } from '../../http/types.js';
import type { Actor } from '../../shared/actor.js';
import type { EngineFactory } from './engine.js';
import { simulatorRoutes } from './simulator/simulator.routes.js';
import { createSimulatorNetwork } from './simulator/simulator-network.js';

/** What an engine's own endpoints need from the rest of the service. */
export interface EngineRouteDeps {
  /** 404 unless the session is the actor's company's. */
  requireSession: (actor: Actor, sessionId: string) => Promise<unknown>;
  /** Resolves once the session has handled every event its engine reported so far. */
  settled: (sessionId: string) => Promise<void>;
}

export interface EngineSetup {
  factory: EngineFactory;
  /** Registers the engine's own endpoints on the /api scope; null when it has none. */
  routes: ((api: ApiApp, deps: EngineRouteDeps) => void) | null;
  /** Drops whatever the engine keeps about a session that was deleted. */
  sessionDeleted: (sessionId: string) => void;
}

/**
 * The configured engine. Services never learn which one it is. Baileys (with WhatsApp's protocol
 * definitions, about 60 MB resident) is loaded only when it is the engine.
 */
export async function createEngine(
  config: {
    engine: 'baileys' | 'simulator';
    simulator: { qrRotateMs: number };
    webSocketUrl: string | null;
    webVersion: [number, number, number] | null;
  },
  logger: Logger,
  /** DATA_DIR: the simulator keeps what its network received under `simulator/`. */
  dataDir: string,
): Promise<EngineSetup> {
  if (config.engine === 'simulator') {
    const network = createSimulatorNetwork({
      qrRotateMs: config.simulator.qrRotateMs,
      redeliverOnReconnect: 3,
      recordDir: join(dataDir, 'simulator'),
    });
    return {
      factory: network.engineFactory,
      // The control endpoints drive the simulated phones and contacts.
      routes: (api, deps) => simulatorRoutes(api, { network, ...deps }),
      sessionDeleted: (sessionId) => network.forget(sessionId),
    };
  }
  const { createBaileysEngineFactory } = await import('./baileys/baileys-engine.js');
  return {
    factory: createBaileysEngineFactory({
      logger,
      webSocketUrl: config.webSocketUrl ?? undefined,
      version: config.webVersion ?? undefined,
    }),
    routes: null,
    sessionDeleted: () => {},
  };
}
