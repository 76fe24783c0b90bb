// Instructions per stream item, not time: a generator served and read to its end in this one
// process over the Unix socket, under a given reader window (`streamWindow`), with small items
// (`count`) or 64 KiB ones (`blobs`). Run under callgrind with two item counts; the difference
// of the totals divided by the difference of the counts is the cost of one item, both sides,
// start-up excluded, immune to the noise of a shared machine (the choice of the default window,
// issue 18). After `npm run build`:
//
//   for w in 16 64 256 1024; do for n in 10000 30000; do
//     valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null \
//       node bench/micro/stream-window-instructions.mjs count $w $n 2>&1 | grep Collected
//   done; done
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIPClient, LIPModule } from '../../dist/index.js';
import { blobs } from '../lib/work.mjs';

const [kind = 'count', window = '16', count = '10000'] = process.argv.slice(2);
const items = Number(count);
const args = kind === 'blobs' ? [items, 64 * 1024] : [items];

const dir = mkdtempSync(join(tmpdir(), 'lip-instr-'));
const served = LIPModule({ logLevel: 'silent' })(
  kind === 'blobs'
    ? blobs
    : async function* count(n) {
        for (let i = 0; i < n; i++) yield i;
      },
);
await served.init({ socketDir: dir });
const client = new LIPClient({ socketDir: dir, streamWindow: Number(window) });
await client.ping(kind);
let read = 0;
for await (const _ of client.stream(kind, args)) read++;
if (read !== items) throw new Error(`read ${read} of ${items}`);
await client.close();
await served.exit();
rmSync(dir, { recursive: true, force: true });
console.log(`${kind}, window ${window}: ${items} items`);
