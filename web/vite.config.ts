// Vite settings of the live page: root web/, relative base (works from any static host or sub-path), module workers.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The page's source folder (this file's folder). */
export const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Root web/, base ./, build to site/, ES-module workers. */
export default defineConfig({
  root: WEB_ROOT,
  base: './',
  clearScreen: false,
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../site', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
