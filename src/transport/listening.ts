import type { Server } from 'node:net';

/** What is listening and which file is ours. The socket file guard updates both when it puts a removed file back. */
export interface Listening {
  server: Server;
  /** Inode of the socket file we created, so we remove only our own file on exit. */
  ino: number;
  /** The real path of the socket file (its directory's symlinks resolved), set by listenUnix. */
  path?: string;
  /** Set for a socket inherited from systemd: its file is not ours to guard or remove. */
  inherited?: true;
}
