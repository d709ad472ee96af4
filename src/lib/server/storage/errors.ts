/** Errors every storage implementation throws the same way (callers match on the class). */

/** The room is not in `rooms` (never created, or deleted): nothing can be stored for it. */
export class UnknownRoomError extends Error {
	override name = 'UnknownRoomError';
	constructor(readonly roomId: string) {
		super(`no room ${roomId}`);
	}
}

/** The search backend could not understand the terms (the caller answers 400). */
export class SearchQueryError extends Error {
	override name = 'SearchQueryError';
	constructor(options?: { cause?: unknown }) {
		super('search query not understood', options);
	}
}
