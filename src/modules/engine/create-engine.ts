import type { EngineFactory } from './engine.js';
import { createSimulatorNetwork, type SimulatorNetwork } from './simulator/simulator-engine.js';

export interface EngineSetup {
  factory: EngineFactory;
  /** Present only with the simulator: the control endpoints drive it. */
  simulator: SimulatorNetwork | null;
}

/** The configured engine. Services never learn which one it is. */
export function createEngine(config: {
  engine: 'baileys' | 'simulator';
  simulator: { qrRotateMs: number };
}): EngineSetup {
  if (config.engine === 'simulator') {
    const network = createSimulatorNetwork({
      qrRotateMs: config.simulator.qrRotateMs,
      redeliverOnReconnect: 3,
    });
    return { factory: network.engineFactory, simulator: network };
  }
  return { factory: unavailableEngine, simulator: null };
}

/** Stands in until the WhatsApp Web engine is part of the build: sessions fail with a clear reason. */
const unavailableEngine: EngineFactory = (context) => {
  const refuse = () => Promise.reject(new Error('The WhatsApp Web engine is not available in this build'));
  return {
    start() {
      context.emit({
        type: 'disconnected',
        reason: 'The WhatsApp Web engine is not available in this build; run with WA_ENGINE=simulator',
        loggedOut: false,
        permanent: true,
      });
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
    logout: () => Promise.resolve(),
    sendText: refuse,
    markRead: refuse,
    requestPairingCode: refuse,
    isOnWhatsApp: refuse,
  };
};
