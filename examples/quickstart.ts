// The README's first example: serve a function, call it locally and from a client, shut down.
import { LIPClient, LIPModule } from 'lipmodule';

/** Adds two numbers. */
export const add = LIPModule({ logLevel: 'warning' })(function add(a: number, b: number) {
  return a + b;
});

await add.init(); // serves /tmp/lipcm-add.sock (or $LIP_SOCKET_DIR)
console.log(add(2, 3)); // 5: still an ordinary local function

const client = new LIPClient();
console.log(await client.listFunctions()); // [ 'add' ]
console.log(await client.getDocstring('add')); // Adds two numbers.
console.log(await client.callFunction('add', [2, 3])); // 5
console.log(await client.callFunction('add', [2], { b: 40 })); // 42

await client.close();
await add.exit(); // in-flight calls finish, the socket file is removed
