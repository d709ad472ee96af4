/** Errors every storage implementation throws the same way (callers match on the class). */

/** The room is not in `rooms` (never created, or deleted): nothing can be stored for it. */
export class UnknownRoomError extends Error {
	override name = 'UnknownRoomError';
	constructor(readonly roomId: string) {
		super(`no room ${roomId}`);
	}
}
