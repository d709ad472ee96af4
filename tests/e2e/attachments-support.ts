/** Helpers of the attachment specs: a room to attach in, real PNGs, the paperclip. */
import type { Page } from '@playwright/test';
import { roomName, sharedRoom, type ChatUser } from './fixtures';

/** A private room of `owner` and `member`, with the name its log is labelled by. */
export async function attachRoom(
	owner: ChatUser,
	member: ChatUser
): Promise<{ id: string; name: string }> {
	const name = roomName('Attach');
	return { id: await sharedRoom(owner, member, name), name };
}

/** A real PNG drawn by the browser's canvas, so the server's magic-byte check passes. */
export async function makePng(page: Page, width: number, height: number): Promise<Buffer> {
	const base64 = await page.evaluate(
		async ({ width, height }) => {
			const canvas = new OffscreenCanvas(width, height);
			const g = canvas.getContext('2d');
			if (!g) throw new Error('no 2d context');
			g.fillStyle = '#4f46e5';
			g.fillRect(0, 0, width, height);
			g.fillStyle = '#f59e0b';
			g.fillRect(width / 4, height / 4, width / 2, height / 2);
			const bytes = new Uint8Array(await (await canvas.convertToBlob()).arrayBuffer());
			let binary = '';
			for (const byte of bytes) binary += String.fromCharCode(byte);
			return btoa(binary);
		},
		{ width, height }
	);
	return Buffer.from(base64, 'base64');
}

export async function attach(
	page: Page,
	files: { name: string; mimeType: string; buffer: Buffer }[]
): Promise<void> {
	const chooser = page.waitForEvent('filechooser');
	await page.getByRole('button', { name: 'Attach files' }).click();
	await (await chooser).setFiles(files);
}

export function messageWith(page: Page, name: string, text: string) {
	return page.getByRole('log', { name }).getByRole('listitem').filter({ hasText: text });
}
