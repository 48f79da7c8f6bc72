// Builds the playground (index.html), the admin console (admin.html) and the account page (account.html) into web/dist.
// Run from the project root as `vite build web`, so this directory is Vite's root.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline polyfill script: the pages' CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    rolldownOptions: { input: { index: 'index.html', admin: 'admin.html', account: 'account.html' } },
  },
});
