// The console shares the socket event types with the server by `import type` from
// src/modules/realtime/socket-events.ts (api/events.ts). That file's type imports reach
// src/modules/engine/engine.ts, whose media download returns a Node `Readable`; the browser
// program never touches it, so an opaque stand-in is enough and Node's types stay out of web/.
declare module 'node:stream' {
  export type Readable = unknown;
}
