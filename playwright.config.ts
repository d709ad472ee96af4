import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium';

/**
 * End-to-end tests against the built program (tests/e2e/fixtures.ts starts one server per
 * worker; the global setup bundles its entry first, tests/support/global-setup.ts). Uses the system Chromium: never run `playwright install` here.
 */
export default defineConfig({
	testDir: 'tests/e2e',
	globalSetup: './tests/support/global-setup.ts',
	workers: 2,
	fullyParallel: false,
	retries: process.env.CI ? 1 : 0,
	reporter: 'list',
	timeout: 60_000,
	expect: { timeout: 10_000 },
	use: {
		// Recording a trace costs every test ~17% more CPU (snapshots, screencast): in CI only a
		// failed test's retry records one; locally a failure keeps its trace.
		trace: process.env.CI ? 'on-first-retry' : 'retain-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			use: {
				...devices['Desktop Chrome'],
				launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] }
			}
		}
	]
});
