/**
 * Direct-message rooms are named after everyone in them (src/lib/server/dms.ts dmName):
 * "alice & bob", or "alice, bob & carol" for a group DM. Usernames hold no ',', '&' or space.
 * The viewer sees a DM titled after the others' display names, which the summary lists
 * (`RoomSummary.others`); without them (an older cache) after the usernames of the stored name.
 */
import { shownName } from './avatars';

/** One of a DM's other people, as the summary lists them. */
export interface DmPersonView {
	readonly id: string;
	readonly username: string;
	/** '' or absent: none (the username is shown). */
	readonly displayName?: string;
}

/** Everyone named in a DM's name, in order, or null when it is not such a name. */
function namesOf(roomName: string): string[] | null {
	const pair = roomName.split(' & ');
	if (pair.length !== 2) return null;
	const [head, last] = pair as [string, string];
	const names = [...head.split(', '), last];
	return names.every((name) => name !== '' && !/[\s,&]/.test(name)) ? names : null;
}

/**
 * The other people of a DM named like that with the viewer in it (in the name's order), or
 * null for other rooms.
 */
export function dmOthersOf(roomName: string, selfName: string): string[] | null {
	const names = namesOf(roomName);
	if (!names) return null;
	const mine = names.indexOf(selfName);
	if (mine < 0) return null;
	const others = names.filter((_, index) => index !== mine);
	return others.includes(selfName) ? null : others;
}

/** The other person of a two-person DM named like that with the viewer in it, or null. */
export function dmPartnerOf(roomName: string, selfName: string): string | null {
	const others = dmOthersOf(roomName, selfName);
	return others?.length === 1 ? (others[0] ?? null) : null;
}

/** "bob", "bob and carol", "bob, carol and dave". */
export function joinNames(names: readonly string[]): string {
	if (names.length <= 1) return names[0] ?? '';
	return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * What a DM is called for the viewer: the others' names, "bob" or "bob and carol" (a group);
 * null when the name is not a DM's with the viewer in it.
 */
export function dmTitleOf(roomName: string, selfName: string): string | null {
	const others = dmOthersOf(roomName, selfName);
	return others ? joinNames(others) : null;
}

/**
 * What a DM is called for the viewer: the others' shown names when the summary lists them
 * ("Bobby", "Bobby and carol"), else from its stored name; null when it is not a DM's name with
 * the viewer in it.
 */
export function dmTitleOfRoom(
	room: { readonly name: string; readonly others?: readonly DmPersonView[] },
	selfName: string
): string | null {
	if (room.others && room.others.length > 0) return joinNames(room.others.map(shownName));
	return dmTitleOf(room.name, selfName);
}
