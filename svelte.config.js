import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// sync-server/main.ts mounts build/handler.js on its own HTTP server (see README).
		adapter: adapter({ out: 'build', precompress: false })
	}
};

export default config;
