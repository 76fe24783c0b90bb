#!/usr/bin/env node
/**
 * The `lip` entry. On Node >= 22.1, V8's compiled code is kept between runs (a seventh of `lip call`'s start),
 * in the user's own cache directory: never in the shared /tmp, where another user could leave code for us to run.
 * Turned on before the command's modules load, which is why they are loaded here rather than imported.
 */
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// Not in @types/node 20, where it does not exist.
const { enableCompileCache } = module as { enableCompileCache?: (directory: string) => unknown };
const cache = process.env.XDG_CACHE_HOME?.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
enableCompileCache?.(join(cache, 'lipmodule', 'compile-cache'));
await import('./command-line.js');
