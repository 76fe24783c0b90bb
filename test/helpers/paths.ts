/** Where the tests find the repository and their fixture files, wherever they are run from. */
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
