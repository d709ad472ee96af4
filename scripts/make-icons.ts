/**
 * Renders the PWA icons (static/icons/*.png) from static/favicon.svg with the system Chromium.
 * Run once after changing the favicon: `node --import tsx scripts/make-icons.ts`; the PNGs are
 * committed, so builds need no browser.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/support/chromium';

const root = new URL('../', import.meta.url);
const svg = readFileSync(new URL('static/favicon.svg', root), 'utf8');
const BRAND_COLOR = '#4f46e5';

interface IconSpec {
	readonly file: string;
	readonly size: number;
	/** Maskable icons are cropped to a circle by some launchers: full bleed, glyph in the safe zone. */
	readonly maskable: boolean;
}

const ICONS: readonly IconSpec[] = [
	{ file: 'icon-192.png', size: 192, maskable: false },
	{ file: 'icon-512.png', size: 512, maskable: false },
	{ file: 'icon-maskable-512.png', size: 512, maskable: true }
];

function htmlFor(spec: IconSpec): string {
	const reset = 'html,body{margin:0;padding:0;background:transparent}';
	if (!spec.maskable) {
		return `<style>${reset} svg{display:block;width:${spec.size}px;height:${spec.size}px}</style>${svg}`;
	}
	// The safe zone is the centred circle of 80% diameter; 62% keeps the glyph well inside it.
	const inner = Math.round(spec.size * 0.62);
	return `<style>${reset} .bg{width:${spec.size}px;height:${spec.size}px;background:${BRAND_COLOR};display:flex;align-items:center;justify-content:center} svg{width:${inner}px;height:${inner}px}</style><div class="bg">${svg}</div>`;
}

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
try {
	for (const spec of ICONS) {
		const page = await browser.newPage({ viewport: { width: spec.size, height: spec.size } });
		await page.setContent(htmlFor(spec));
		const path = fileURLToPath(new URL(`static/icons/${spec.file}`, root));
		await page.screenshot({
			path,
			omitBackground: true,
			clip: { x: 0, y: 0, width: spec.size, height: spec.size }
		});
		await page.close();
		console.log(`wrote ${path}`);
	}
} finally {
	await browser.close();
}
