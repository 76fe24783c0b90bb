/**
 * Where a large partial frame is assembled: a resizable ArrayBuffer, whose
 * address space covers the largest frame but whose memory is only the pages in
 * use. A frame grows in place as bytes arrive (no copy per growth) and costs
 * about what has arrived; released, its pages go back to the system at once
 * (not to malloc, which keeps what it is given back: RSS would stay up after a
 * burst). A few rooms, ROOM_POOL_BYTES in all, are kept while frames keep
 * coming, so big frames one after another don't fault in fresh pages each
 * time; they are released after IDLE_MS without use.
 */

// Resizable ArrayBuffers (ES2024) are in Node 20, not in the TypeScript lib this project targets.
export interface Room extends ArrayBuffer {
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}
const Room = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Room;

/** Memory kept in idle rooms, for the whole process. */
export const ROOM_POOL_BYTES = 32 * 1024 * 1024;
const IDLE_MS = 1000;

const pool: Room[] = [];
let pooledBytes = 0;
let lastUse = 0;
let sweeper: NodeJS.Timeout | undefined;

/** A room of at least `bytes` that can grow to `maxBytes`: a kept one if any fits, else a new one. */
export function takeRoom(bytes: number, maxBytes: number): Room {
  for (let i = pool.length - 1; i >= 0; i--) {
    const room = pool[i]!;
    if (room.maxByteLength < maxBytes) continue;
    pool.splice(i, 1);
    pooledBytes -= room.byteLength;
    if (room.byteLength < bytes) room.resize(bytes);
    return room;
  }
  return new Room(bytes, { maxByteLength: maxBytes });
}

/** Gives a room back: kept for the next frame if the pool has space, else its memory is released now. */
export function releaseRoom(room: Room): void {
  if (pooledBytes + room.byteLength > ROOM_POOL_BYTES) {
    room.resize(0);
    return;
  }
  pool.push(room);
  pooledBytes += room.byteLength;
  lastUse = performance.now();
  if (!sweeper) {
    sweeper = setTimeout(sweep, IDLE_MS);
    sweeper.unref();
  }
}

function sweep(): void {
  sweeper = undefined;
  const idle = performance.now() - lastUse;
  if (idle < IDLE_MS) {
    sweeper = setTimeout(sweep, IDLE_MS - idle);
    sweeper.unref();
    return;
  }
  for (const room of pool) room.resize(0);
  pool.length = 0;
  pooledBytes = 0;
}
