import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// sync-server/main.ts mounts build/handler.js on its own HTTP server (see README).
		// precompress: .gz and .br beside each asset, served by the handler's sirv to a client
		// that accepts them (the room page's JavaScript is ~3x smaller gzipped).
		adapter: adapter({ out: 'build', precompress: true })
	}
};

export default config;
