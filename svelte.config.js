import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// sync-server/main.ts mounts build/handler.js on its own HTTP server (see README).
		// precompress: .gz and .br beside each asset, served by the handler's sirv to a client
		// that accepts them (the room page's JavaScript is ~3x smaller gzipped).
		adapter: adapter({ out: 'build', precompress: true }),
		// Registered by the root layout once the page has settled, not at `load`
		// (registerServiceWorker in src/lib/client/sw-update.svelte.ts says why).
		serviceWorker: { register: false }
	}
};

export default config;
