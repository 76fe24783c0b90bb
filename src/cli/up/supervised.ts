/**
 * The module process's side of `lip up`: a `lip serve` started by it reports when it serves (or why
 * it could not), drains when told to or when `lip up` goes away, and leaves Ctrl-C to `lip up`, which
 * stops every module once.
 */
import type { ServedLine } from '../serve/lifecycle.js';
import { isSupervisorMessage, SUPERVISED_ENV, type ChildMessage } from './ipc.js';

/** Whether this process is a module process of `lip up`. */
export function isSupervised(): boolean {
  return process.env[SUPERVISED_ENV] === '1' && typeof process.send === 'function';
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

export function reportReady(functions: ServedLine[]): Promise<void> {
  return send({ up: 'ready', functions });
}

export function reportFailed(message: string): Promise<void> {
  return send({ up: 'failed', message });
}

/**
 * Calls `drain` once: when `lip up` says so, or when its channel closes (it died). SIGINT is ignored:
 * at a terminal it reaches the whole process group, and `lip up` answers it for everyone.
 * Returns the remover.
 */
export function onSupervisorDrain(drain: () => void): () => void {
  let drained = false;
  const once = () => {
    if (drained) return;
    drained = true;
    drain();
  };
  const onMessage = (message: unknown) => {
    if (isSupervisorMessage(message)) once();
  };
  const ignore = () => {};
  process.on('message', onMessage);
  process.on('disconnect', once);
  process.on('SIGINT', ignore);
  return () => {
    process.off('message', onMessage);
    process.off('disconnect', once);
    process.off('SIGINT', ignore);
  };
}

/** Lets the process end once its work is done: the IPC channel would keep it alive. */
export function leaveSupervisor(): void {
  if (process.connected) process.disconnect();
}
