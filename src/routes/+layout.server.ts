import { listSummariesNow } from '$lib/server/summaries';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, isDataRequest }) => {
	const { user } = locals;
	return {
		user,
		// The sidebar's list in the server's HTML, so it shows at first paint (docs/design.md "The
		// shell"). Only for a full page load: client-side, the summary store holds the list and keeps
		// it live, so a data request (invalidateAll after a form action) does not read it again.
		summaries: user && !isDataRequest ? await listSummariesNow(locals.services, user) : null
	};
};
