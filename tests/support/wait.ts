/**
 * Waiting for a condition that emits no event (a metric, a Redis subscriber count, a row):
 * poll it until it holds or a deadline passes, and say what was awaited when it never does.
 */
export async function waitFor(
	what: string,
	condition: () => boolean | Promise<boolean>,
	timeoutMs = 10_000,
	intervalMs = 20
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}
