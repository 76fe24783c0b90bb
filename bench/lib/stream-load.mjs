/**
 * One stream measurement: a generator of `items` items (`itemBytes` each, or small integers when
 * 0) read to its end, one stream at a time, under the reader's window (`streamWindow`, the client's
 * default when not given). A "call" of the load is a whole stream: items/s is calls/s × items.
 */
import { round } from './stats.mjs';
import { measureLoad } from './load.mjs';

export async function measureStream({ peer, settings, items: fullItems, itemBytes = 0, streamWindow }) {
  // A quick run checks that the path works, not its figure: a tenth of the items keeps it short.
  const items = settings.quickItems ? Math.max(10, Math.round(fullItems / 10)) : fullItems;
  const fn = itemBytes ? 'blobs' : 'count';
  const cell = await measureLoad({ peer, settings, fn, inflight: 1, clientConfig: { streamItems: items, itemBytes, streamWindow } });
  const itemsPerSec = round(cell.callsPerSec * items);
  // CPU per item rather than per stream: comparable across stream lengths, and steadier than items/s on a busy machine.
  const perItem = (usPerStream) => round(usPerStream / items, 3);
  const stream = {
    ...cell,
    value: itemsPerSec,
    unit: 'items/s',
    itemsPerSec,
    streamsPerSec: cell.callsPerSec,
    clientCpuUsPerItem: perItem(cell.clientCpuUsPerCall),
    serverCpuUsPerItem: perItem(cell.serverCpuUsPerCall),
  };
  if (itemBytes) stream.mibPerSec = round((itemsPerSec * itemBytes) / (1 << 20), 1);
  return stream;
}
