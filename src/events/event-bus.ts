import { EventEmitter } from 'node:events';

import type { DomainEvents } from './domain-events.js';

export type EventName = keyof DomainEvents;
export type Listener<K extends EventName> = (payload: DomainEvents[K]) => void;

export interface EventBus {
  emit<K extends EventName>(event: K, payload: DomainEvents[K]): void;
  on<K extends EventName>(event: K, listener: Listener<K>): () => void;
}

/**
 * A typed, synchronous in-process bus. A listener that throws is reported through `onError` and
 * never breaks the emitter or the other listeners: an event is a notification, not a transaction.
 */
export function createEventBus(onError: (err: unknown, event: EventName) => void): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    emit(event, payload) {
      for (const listener of emitter.listeners(event)) {
        try {
          (listener as (p: typeof payload) => void)(payload);
        } catch (err) {
          onError(err, event);
        }
      }
    },
    on(event, listener) {
      emitter.on(event, listener);
      return () => {
        emitter.off(event, listener);
      };
    },
  };
}
