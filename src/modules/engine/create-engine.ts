import type { Logger } from 'pino';

import { createBaileysEngineFactory } from './baileys/baileys-engine.js';
import type { EngineFactory } from './engine.js';
import { createSimulatorNetwork, type SimulatorNetwork } from './simulator/simulator-engine.js';

export interface EngineSetup {
  factory: EngineFactory;
  /** Present only with the simulator: the control endpoints drive it. */
  simulator: SimulatorNetwork | null;
}

/** The configured engine. Services never learn which one it is. */
export function createEngine(
  config: { engine: 'baileys' | 'simulator'; simulator: { qrRotateMs: number }; webSocketUrl: string | null },
  logger: Logger,
): EngineSetup {
  if (config.engine === 'simulator') {
    const network = createSimulatorNetwork({
      qrRotateMs: config.simulator.qrRotateMs,
      redeliverOnReconnect: 3,
    });
    return { factory: network.engineFactory, simulator: network };
  }
  return {
    factory: createBaileysEngineFactory({ logger, webSocketUrl: config.webSocketUrl ?? undefined }),
    simulator: null,
  };
}
