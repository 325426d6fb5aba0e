import { join } from 'node:path';

import type { Logger } from 'pino';

import type { EngineFactory } from './engine.js';
import { createSimulatorNetwork, type SimulatorNetwork } from './simulator/simulator-engine.js';

export interface EngineSetup {
  factory: EngineFactory;
  /** Present only with the simulator: the control endpoints drive it. */
  simulator: SimulatorNetwork | null;
}

/**
 * The configured engine. Services never learn which one it is. Baileys (with WhatsApp's protocol
 * definitions, about 60 MB resident) is loaded only when it is the engine.
 */
export async function createEngine(
  config: { engine: 'baileys' | 'simulator'; simulator: { qrRotateMs: number }; webSocketUrl: string | null },
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
    return { factory: network.engineFactory, simulator: network };
  }
  const { createBaileysEngineFactory } = await import('./baileys/baileys-engine.js');
  return {
    factory: createBaileysEngineFactory({ logger, webSocketUrl: config.webSocketUrl ?? undefined }),
    simulator: null,
  };
}
