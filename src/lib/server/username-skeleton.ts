/**
 * Look-alike usernames (docs/design.md, "Accounts"): two names with the same confusable
 * SKELETON read the same to a person, so only the first is taken. In the style of Unicode
 * TR39's skeleton(), for the ASCII usernames allow ([a-zA-Z0-9_.-], 3–32 characters):
 *
 * | step | what                       | why                                          |
 * |------|----------------------------|----------------------------------------------|
 * | 1    | lower-case                 | names are already unique ignoring case       |
 * | 2    | `rn` → `m`                 | "rn" and "m" touch in most fonts             |
 * | 3    | `vv` → `w`                 | "vv" and "w"                                 |
 * | 4    | `i`, `1`, `\|` → `l`        | "I" (folded to "i"), "l", "1", "\|" in sans-serif |
 * | 5    | `0` → `o`                  | "O" (folded to "o") and "0"                  |
 *
 * Replacements run in this order, each over the whole name, left to right without overlap
 * (so "rnrn" is "mm", "vvv" is "wv"). The folding of a lower-case "i" into "l" is wider than
 * TR39 (only a capital I looks like l), because the skeleton must not depend on case.
 * The same steps run in SQL (`usernameSkeletonSql`) for migration 9; changing them needs a new
 * migration that recomputes the column.
 */

/** The replacements after lower-casing, in order. */
export const SKELETON_STEPS: readonly (readonly [from: string, to: string])[] = [
	['rn', 'm'],
	['vv', 'w'],
	['i', 'l'],
	['1', 'l'],
	['|', 'l'],
	['0', 'o']
];

/** The confusable skeleton of a username: equal skeletons mean look-alike names. */
export function usernameSkeleton(username: string): string {
	return SKELETON_STEPS.reduce(
		(name, [from, to]) => name.replaceAll(from, to),
		username.toLowerCase()
	);
}

/** The same function as an SQL expression over `column` (SQLite's lower() and replace()). */
export function usernameSkeletonSql(column: string): string {
	return SKELETON_STEPS.reduce(
		(expression, [from, to]) => `replace(${expression}, '${from}', '${to}')`,
		`lower(${column})`
	);
}
