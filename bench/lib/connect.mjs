/** Connecting to a Unix socket path from a client process. */
import net from 'node:net';

/** A busy server's full accept backlog makes a Unix connect fail with EAGAIN at once: wait and retry (bounded). */
export async function connectRetrying(socketPath) {
  for (let attempt = 0; ; attempt++) {
    const socket = net.connect(socketPath);
    try {
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      return socket;
    } catch (error) {
      if (error.code !== 'EAGAIN' || attempt >= 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
