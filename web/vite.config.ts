import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const monacoEsm = fileURLToPath(new URL('./node_modules/monaco-editor/esm/vs', import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      // y-monaco imports the editor API by this path; point it (and us) at one copy.
      { find: /^monaco-editor\/esm\/vs\/(.*)$/, replacement: `${monacoEsm}/$1` },
      { find: /^monaco-esm\/(.*)$/, replacement: `${monacoEsm}/$1` },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: true,
  },
  worker: { format: 'es' },
  server: {
    // `npm run dev` talks to a local `tandem serve`.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
