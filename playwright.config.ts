import { defineConfig, devices } from '@playwright/test';

/**
 * End-to-end tests against the built program (tests/e2e/fixtures.ts starts one server per
 * worker). Uses the system Chromium: never run `playwright install` here.
 */
export default defineConfig({
	testDir: 'tests/e2e',
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
				launchOptions: {
					executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
					args: [
						'--no-sandbox',
						'--disable-gpu',
						'--disable-background-networking',
						'--disable-component-update',
						'--no-first-run',
						'--disable-quic',
						'--disable-sync'
					]
				}
			}
		}
	]
});
