import { describe, expect, it } from 'vitest';
import {
	classifyRequest,
	fileUrl,
	isCacheable,
	isPrecached,
	isLogout,
	parseClientMessage,
	type RequestFacts
} from '../../src/lib/client/sw-policy';

const origin = 'http://localhost:3000';
const assets = new Set(['/_app/immutable/entry/start.js', '/favicon.svg']);

function facts(path: string, overrides: Partial<RequestFacts> = {}): RequestFacts {
	return { method: 'GET', url: new URL(path, origin), origin, mode: 'cors', assets, ...overrides };
}

describe('the service worker', () => {
	it('serves this version’s files from the precache', () => {
		expect(classifyRequest(facts('/_app/immutable/entry/start.js'))).toBe('asset');
		expect(classifyRequest(facts('/favicon.svg'))).toBe('asset');
	});

	it('handles page loads and SvelteKit data requests network first', () => {
		expect(classifyRequest(facts('/rooms/abc', { mode: 'navigate' }))).toBe('page');
		expect(classifyRequest(facts('/rooms/abc/__data.json?x-sveltekit-invalidated=01'))).toBe(
			'data'
		);
	});

	it('handles attachments and their thumbnails, network first, and nothing else under /api', () => {
		const id = 'abcdefghijklmnopqrstuvwx';
		expect(classifyRequest(facts(`/api/files/${id}`))).toBe('file');
		expect(classifyRequest(facts(`/api/files/${id}?thumb=1`))).toBe('file');
		expect(classifyRequest(facts(`/api/files/${id}?thumb=2`))).toBe('bypass');
		expect(classifyRequest(facts('/api/files/../rooms'))).toBe('bypass');
		expect(classifyRequest(facts(`/api/files/${id}`, { method: 'DELETE' }))).toBe('bypass');
		expect(classifyRequest(facts('/api/files?roomId=x'))).toBe('bypass');
		expect(classifyRequest(facts(fileUrl(id)))).toBe('file');
	});

	it('precaches everything but fonts, which are fetched when a page draws them', () => {
		expect(isPrecached('/_app/immutable/entry/start.js')).toBe(true);
		expect(isPrecached('/_app/immutable/assets/noto-color-emoji-3-400-normal.abc.woff2')).toBe(
			false
		);
	});

	it('never touches auth, sync, logout, other methods or other origins', () => {
		expect(classifyRequest(facts('/api/auth/login'))).toBe('bypass');
		expect(classifyRequest(facts('/api/auth/register', { mode: 'navigate' }))).toBe('bypass');
		expect(classifyRequest(facts('/sync/abc'))).toBe('bypass');
		expect(classifyRequest(facts('/logout', { mode: 'navigate' }))).toBe('bypass');
		expect(classifyRequest(facts('/rooms/abc', { method: 'POST', mode: 'navigate' }))).toBe(
			'bypass'
		);
		expect(classifyRequest(facts('https://example.com/x', { mode: 'navigate' }))).toBe('bypass');
		expect(classifyRequest(facts('/api/rooms'))).toBe('bypass');
	});

	it('keeps only plain successful answers', () => {
		const ok = { ok: true, status: 200, redirected: false, type: 'basic' };
		expect(isCacheable(ok)).toBe(true);
		expect(isCacheable({ ...ok, redirected: true })).toBe(false);
		expect(isCacheable({ ...ok, ok: false, status: 500 })).toBe(false);
		expect(isCacheable({ ...ok, type: 'opaque' })).toBe(false);
	});

	it('recognises a logout, which drops the cached pages', () => {
		expect(isLogout('POST', new URL('/logout', origin), origin)).toBe(true);
		expect(isLogout('POST', new URL('/api/auth/logout', origin), origin)).toBe(true);
		expect(isLogout('GET', new URL('/logout', origin), origin)).toBe(false);
	});

	it('accepts only the messages it knows from pages', () => {
		expect(parseClientMessage({ type: 'SKIP_WAITING' })).toEqual({ type: 'SKIP_WAITING' });
		expect(parseClientMessage({ type: 'CACHE_PAGE', url: '/' })).toEqual({
			type: 'CACHE_PAGE',
			url: '/'
		});
		expect(parseClientMessage({ type: 'CACHE_PAGE' })).toBeNull();
		expect(parseClientMessage('SKIP_WAITING')).toBeNull();
	});
});
