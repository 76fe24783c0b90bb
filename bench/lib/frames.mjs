/**
 * The minimal framing the hand-written peers put on a Unix socket: a 4-byte big-endian length, then
 * the body. Shared by raw net and by the message-based libraries (birpc, capnweb) that need a
 * message boundary on a byte stream and leave the framing to the user.
 */

/** One frame: the length prefix and `body` (bytes) in one buffer. */
export function frameOf(body) {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** Calls `onFrame(body)` for every whole frame; partial frames are kept as a chunk list and joined once. */
export function readFrames(socket, onFrame) {
  let chunks = [];
  let held = 0;
  let need = -1;
  socket.on('data', (chunk) => {
    if (held > 0) {
      chunks.push(chunk);
      held += chunk.length;
      if (need < 0 && held >= 4) need = 4 + Buffer.concat(chunks, held).readUInt32BE(0);
      if (need < 0 || held < need) return;
      chunk = Buffer.concat(chunks, held);
      chunks = [];
      held = 0;
    }
    let offset = 0;
    need = -1;
    while (chunk.length - offset >= 4) {
      const end = offset + 4 + chunk.readUInt32BE(offset);
      if (end > chunk.length) {
        need = end - offset;
        break;
      }
      onFrame(chunk.subarray(offset + 4, end));
      offset = end;
    }
    if (offset < chunk.length) {
      chunks = [chunk.subarray(offset)];
      held = chunk.length - offset;
    }
  });
}

/** Writes frames; with `batch`, the frames of one tick are coalesced under one cork/uncork (one writev). */
export function frameWriter(socket, { batch = false } = {}) {
  if (!batch) return (buffer) => socket.write(buffer);
  let queued = null;
  const flush = () => {
    const frames = queued;
    queued = null;
    if (frames.length === 1) return void socket.write(frames[0]);
    socket.cork();
    for (const f of frames) socket.write(f);
    socket.uncork();
  };
  return (buffer) => {
    if (queued) return void queued.push(buffer);
    queued = [buffer];
    process.nextTick(flush);
  };
}
