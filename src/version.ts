import { createRequire } from 'node:module';

// package.json sits one level above both src/ and dist/.
const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** This package's version. */
export const VERSION: string = pkg.version;
/** How a server names its library in the hello frame. */
export const LIB_ID = `lipmodule/${VERSION}`;
