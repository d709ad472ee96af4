/**
 * The room log as the sync core sees it: `storage.roomLog` (src/lib/server/storage/types.ts),
 * whose every method is one transaction. The core imports only these types, never an
 * implementation; the composition root hands it the storage's.
 */
import type { LoadedRoom, RoomLogStorage } from '../src/lib/server/storage/types';

/** What a room needs to go live (with `sealedAtMs`, for SEAL_MIN_INTERVAL_MS). */
export type LoadedHead = LoadedRoom;

/** The room log as the sync core uses it: `storage.roomLog` is one. */
export type RoomLogPort = RoomLogStorage;
