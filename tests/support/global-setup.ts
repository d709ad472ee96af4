/**
 * Vitest's (integration project) and Playwright's global setup: bundles the program's entry
 * into build/sync-server.js from the source as it is now (~1 s), so the servers the tests start
 * (tests/support/server.ts) run the file production runs, never a bundle older than an edit.
 * The pages (build/handler.js) still come from `npm run build`, which `npm test` runs first.
 */
import { buildServer } from '../../scripts/build-server';

export default async function setup(): Promise<void> {
	await buildServer();
}
