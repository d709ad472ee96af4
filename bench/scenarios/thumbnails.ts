/**
 * Thumbnails (issue 19): photo-sized images uploaded through the real API, then
 * `GET /api/files/<id>?thumb=1` — bytes of the original against bytes of its thumbnail (what a
 * phone downloads to show the preview), the first request (made with sharp) and a repeated one
 * (kept on disk), and the server's CPU per thumbnail made.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeTempDir } from '../../tests/support/server';
import { meter, row, startParley, type Row } from '../lib/harness';
import { seed } from '../lib/seed';
import { round } from '../lib/stats';

interface Photo {
	readonly label: string;
	readonly type: 'image/jpeg' | 'image/png' | 'image/webp';
	readonly bytes: Buffer;
}

/**
 * A photo-like picture: detail at every scale (coarse noise scaled up, fine noise on top, a
 * gradient under both), so it compresses like a photo in full size AND as a thumbnail.
 */
async function makePhoto(width: number, height: number): Promise<sharp.Sharp> {
	const noise = (w: number, h: number, sigma: number) =>
		sharp({
			create: {
				width: w,
				height: h,
				channels: 3,
				background: { r: 0, g: 0, b: 0 },
				noise: { type: 'gaussian', mean: 128, sigma }
			}
		});
	const coarse = await noise(Math.ceil(width / 6), Math.ceil(height / 6), 60)
		.resize(width, height, { kernel: 'cubic' })
		.png()
		.toBuffer();
	const fine = await noise(width, height, 25).blur(0.8).png().toBuffer();
	const gradient = Buffer.from(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#1d4e89"/><stop offset="1" stop-color="#f0a030"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`
	);
	return sharp(
		await sharp(gradient)
			.composite([
				{ input: coarse, blend: 'overlay' },
				{ input: fine, blend: 'soft-light' }
			])
			.png()
			.toBuffer()
	);
}

async function photos(): Promise<Photo[]> {
	return [
		{
			label: 'JPEG 4000×3000 (phone camera)',
			type: 'image/jpeg',
			bytes: await (await makePhoto(4000, 3000)).jpeg({ quality: 85 }).toBuffer()
		},
		{
			label: 'PNG 1920×1080 (screenshot-sized)',
			type: 'image/png',
			bytes: await (await makePhoto(1920, 1080)).png().toBuffer()
		},
		{
			label: 'WebP 1200×1600 (portrait)',
			type: 'image/webp',
			bytes: await (await makePhoto(1200, 1600)).webp({ quality: 80 }).toBuffer()
		}
	];
}

export async function runThumbnails(options: { repeats: number }): Promise<Row[]> {
	const dataDir = makeTempDir('parley-bench-');
	const seeded = await seed(dataDir, { users: 1, rooms: 1, membersOf: () => [0] });
	const user = seeded.users[0]!;
	const roomId = seeded.rooms[0]!;
	const server = await startParley(dataDir, { MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) });
	const pid = server.process.pid ?? 0;
	const headers = { origin: server.url, cookie: user.cookie };
	const rows: Row[] = [];
	try {
		for (const photo of await photos()) {
			let thumbBytes = 0;
			let firstMs = 0;
			let cpuMicros = 0;
			const repeatedMs: number[] = [];
			const uploaded = await fetch(new URL(`/api/files?roomId=${roomId}`, server.url), {
				method: 'POST',
				headers: { ...headers, 'content-type': photo.type, 'x-file-name': 'photo' },
				body: new Uint8Array(photo.bytes)
			});
			if (uploaded.status !== 201) throw new Error(`upload answered ${uploaded.status}`);
			const { id } = (await uploaded.json()) as { id: string };
			for (let i = 0; i < options.repeats; i++) {
				// Each first GET makes the thumbnail again: the kept one is removed before it.
				rmSync(join(dataDir, 'files', 'thumbs'), { recursive: true, force: true });
				const url = new URL(`/api/files/${id}?thumb=1`, server.url);
				const usage = meter(pid);
				const t0 = performance.now();
				const first = await fetch(url, { headers });
				const body = await first.arrayBuffer();
				firstMs += performance.now() - t0;
				cpuMicros += usage.stop().cpuMicros;
				if (first.status !== 200) throw new Error(`thumbnail answered ${first.status}`);
				thumbBytes = body.byteLength;
				const t1 = performance.now();
				await (await fetch(url, { headers })).arrayBuffer();
				repeatedMs.push(performance.now() - t1);
			}
			rows.push(
				row({
					scenario: 'thumbnails',
					server: 'parley',
					config: photo.label,
					deliveries: options.repeats,
					deliveriesPerSecond: NaN,
					p50Ms: round(firstMs / options.repeats),
					p99Ms: NaN,
					maxMs: NaN,
					lost: 0,
					cpuMicrosPerDelivery: round(cpuMicros / options.repeats, 0),
					rssMb: NaN,
					extra: {
						originalKB: round(photo.bytes.byteLength / 1024, 1),
						thumbnailKB: round(thumbBytes / 1024, 1),
						ratio: round(photo.bytes.byteLength / thumbBytes, 1),
						repeatedMs: round(repeatedMs.reduce((a, b) => a + b, 0) / repeatedMs.length)
					}
				})
			);
		}
	} finally {
		await server.dispose();
		rmSync(dataDir, { recursive: true, force: true });
	}
	return rows;
}
