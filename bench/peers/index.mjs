/**
 * The peers, in table order. Each module runs the same workloads through its
 * own idiomatic API: `serve(config)` in a server process, `connect(config)`
 * (and optionally `openIdle`, `listAndCall`) in a client process.
 */
export const PEERS = [
  { id: 'ours', file: 'ours.mjs', label: 'lipmodule' },
  { id: 'net', file: 'net.mjs', label: 'raw net + cbor-x', options: { batch: false } },
  { id: 'net-batched', file: 'net.mjs', label: 'raw net + cbor-x, coalesced writes', options: { batch: true } },
  { id: 'grpc', file: 'grpc.mjs', label: '@grpc/grpc-js, unix:' },
  { id: 'zmq', file: 'zmq.mjs', label: 'zeromq v6, ipc://' },
  { id: 'jayson', file: 'jayson.mjs', label: 'jayson (JSON-RPC over HTTP), unix path' },
  { id: 'python', file: 'python.mjs', label: 'Python original style (cbor2, one connection per call)' },
  { id: 'capnweb', file: 'capnweb.mjs', label: "capnweb (Cap'n Web RpcSession), unix path" },
  { id: 'birpc', file: 'birpc.mjs', label: 'birpc, unix path' },
  { id: 'nats', file: 'nats.mjs', label: 'lipmodule over NATS (nats-server on loopback)' },
];

export function peerById(id) {
  const peer = PEERS.find((p) => p.id === id);
  if (!peer) throw new Error(`unknown peer '${id}'`);
  return peer;
}

export async function loadPeer(id) {
  const peer = peerById(id);
  const module = await import(`./${peer.file}`);
  return { ...peer, module, options: peer.options ?? {} };
}
