/** The built-in verbs (ping, doc, info, stats, stop), answered the same on every transport. */
import type { Endpoint } from './endpoint.js';
import { LIPProtocolError } from '../errors.js';

/**
 * The answer to a built-in verb, the same on every transport. `stop` is the
 * transport's to decide (on a socket, whoever may connect: the owner unless socketMode is widened): it says whether it agreed.
 */
export function answerControl(endpoint: Endpoint, verb: string, stop: () => boolean): unknown {
  switch (verb) {
    case 'ping':
      return true;
    case 'doc':
      return endpoint.doc();
    case 'info':
      return endpoint.info();
    case 'stats':
      return endpoint.stats();
    case 'stop':
      return stop();
    default:
      throw new LIPProtocolError(`unknown control verb ${JSON.stringify(verb)}`);
  }
}
