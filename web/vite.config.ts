import react from '@vitejs/plugin-react';
import { defineConfig, type UserConfig } from 'vite';

// Run as `vite build web` / `vite web`: the root is this folder, the output web/dist, which the
// service serves at `/` (src/app.ts). In development `vite web` proxies the API and socket.io to a
// service on :3000 (`WA_ENGINE=simulator npm run dev` in another terminal).
// The config runs on Node; the console's tsconfig has no Node types, and this is all it needs.
declare const process: { env: Record<string, string | undefined> };

const config = {
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The service's CSP allows no inline script; keep every asset a file under /assets/.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
} satisfies UserConfig;

export default defineConfig(({ command }) => {
  // A build is always the production build, even when NODE_ENV says otherwise (CI runs with
  // NODE_ENV=test, vitest sets it too): React's development build and JSX runtime would ship.
  if (command === 'build') {
    process.env.NODE_ENV = 'production';
  }
  return config;
});
