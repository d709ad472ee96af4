import { availableParallelism } from 'node:os';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import { parleySync } from './sync-server/vite-plugin';

export default defineConfig({
	plugins: [sveltekit(), parleySync()],
	server: { port: 3000, strictPort: true },
	test: {
		// In CI a failed test runs once more, as Playwright's do (playwright.config.ts): a test
		// that passes only on its second try is reported, and one that fails twice fails CI.
		retry: process.env.CI ? 1 : 0,
		// Twice the cores: the integration files spend most of their time waiting on real servers
		// (outages, restarts, timers), so on 2 cores 4 workers halve the run (5 min -> 2.5 min);
		// more gain nothing.
		maxWorkers: Math.max(2, availableParallelism() * 2),
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['tests/unit/**/*.test.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.test.ts'],
					globalSetup: ['tests/support/global-setup.ts'],
					environment: 'node',
					testTimeout: 30_000,
					hookTimeout: 30_000
				}
			}
		]
	}
});
