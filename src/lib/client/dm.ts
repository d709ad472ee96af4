/** Direct-message rooms are named "alice & bob" (src/lib/server/dms.ts). */

/** The other person of a DM named like that with the viewer in it, or null for other rooms. */
export function dmPartnerOf(roomName: string, selfName: string): string | null {
	const parts = roomName.split(' & ');
	if (parts.length !== 2) return null;
	const [first, second] = parts as [string, string];
	if (first === selfName && second !== selfName) return second;
	if (second === selfName && first !== selfName) return first;
	return null;
}
