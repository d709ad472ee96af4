/** Stub: being implemented by engineer L (issue 8). The interface is the contract. */
import type { ChatMessage } from './messages';

export interface OutboxItem {
	readonly key: string;
	readonly name: string;
	readonly progress: number;
	readonly state: 'queued' | 'uploading' | 'failed';
}

export interface OutboxSend {
	readonly text: string;
	readonly files: File[];
	readonly replyTo?: string;
	readonly push: (message: ChatMessage) => void;
}

export class Outbox {
	items: OutboxItem[] = $state([]);
	readonly userId: string;
	readonly roomId: string;

	constructor({ userId, roomId }: { userId: string; roomId: string }) {
		this.userId = userId;
		this.roomId = roomId;
	}

	async send(_draft: OutboxSend): Promise<void> {}

	async resume(_push: (message: ChatMessage) => void): Promise<void> {}

	destroy(): void {}
}
