/**
 * What `lip up` runs: module files from the command line, or the `modules` of a `lip.config.json`,
 * checked once with errors that name the key. The schema is in docs/DEPLOY.md.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { isLogLevel, type LogLevel } from '../../log/levels.js';
import { MAX_INSTANCES } from '../common.js';
import { usageError } from '../exit-codes.js';

/** One module: served by its own `lip serve` process. */
export interface ModuleSpec {
  /** How the table and the logs name it: its first file's name, unless the config names it. */
  label: string;
  /** Absolute paths of the files it serves together (one process). */
  files: string[];
  /** Serve only these functions. @default every one the files export */
  only: string[];
  /** `lip serve --instances`: worker processes sharing each socket. @default 1 */
  instances: number;
  /** Extra environment of its process. @default {} */
  env: Record<string, string>;
  logLevel: LogLevel | undefined;
  /** More files or directories whose change reloads it under --watch (its own files always do). */
  watch: string[];
}

/** The whole run: its modules and what they share. */
export interface UpConfig {
  modules: ModuleSpec[];
  socketDir: string | undefined;
  /** How long running calls may take when a module stops (ms). */
  grace: number | undefined;
  logLevel: LogLevel | undefined;
  watch: boolean;
}

export const CONFIG_FILE = 'lip.config.json';

/** The longest `grace` (a day): more is a typo, and the hung-module timer (grace + a margin) must fit a Node timer. */
export const MAX_GRACE_MS = 86_400_000;
/** What a `grace` must be, as the usage errors of the config key and of `--grace` say it. */
export const GRACE_RULE = `a number of milliseconds >= 0 and <= ${MAX_GRACE_MS} (a day)`;

/** Whether `value` is a grace `lip up` takes, from its config file or its command line. */
export function isGrace(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_GRACE_MS;
}

const TOP_KEYS = new Set(['modules', 'socketDir', 'grace', 'logLevel', 'watch']);
const MODULE_KEYS = new Set(['name', 'file', 'files', 'only', 'instances', 'env', 'logLevel', 'watch']);

/** The modules of `files`, one process each. */
export function modulesOfFiles(files: readonly string[]): ModuleSpec[] {
  return files.map((file) => ({ label: basename(file), files: [resolve(file)], only: [], instances: 1, env: {}, logLevel: undefined, watch: [] }));
}

/** Reads and checks a config file; relative paths in it are relative to its directory. */
export async function readConfig(path: string): Promise<UpConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw usageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, path);
}

/** Checks a parsed config; `path` names it in errors and anchors its relative paths. */
export function parseConfig(json: unknown, path: string): UpConfig {
  const where = (key: string) => `${path}: '${key}'`;
  if (!isObject(json)) throw usageError(`${path}: expected an object with a "modules" array`);
  for (const key of Object.keys(json)) if (!TOP_KEYS.has(key)) throw usageError(`${path}: unknown key '${key}' (known: ${[...TOP_KEYS].join(', ')})`);
  const base = dirname(resolve(path));
  const modules = json.modules;
  if (!Array.isArray(modules) || modules.length === 0) throw usageError(`${where('modules')} must be a non-empty array of files or module objects`);
  const specs = modules.map((entry, i) => parseModule(entry, `${path}: modules[${i}]`, base));
  const labels = new Set<string>();
  for (const spec of specs) {
    if (labels.has(spec.label)) throw usageError(`${path}: two modules are named '${spec.label}': give one a "name"`);
    labels.add(spec.label);
  }
  return {
    modules: specs,
    socketDir: optionalString(json.socketDir, where('socketDir')) ? resolve(base, json.socketDir as string) : undefined,
    grace: optionalGrace(json.grace, where('grace')),
    logLevel: optionalLevel(json.logLevel, where('logLevel')),
    watch: optionalBoolean(json.watch, where('watch')) ?? false,
  };
}

function parseModule(entry: unknown, where: string, base: string): ModuleSpec {
  if (typeof entry === 'string') return { ...modulesOfFiles([resolve(base, entry)])[0]! };
  if (!isObject(entry)) throw usageError(`${where} must be a file name or an object with "file" or "files"`);
  for (const key of Object.keys(entry)) if (!MODULE_KEYS.has(key)) throw usageError(`${where}: unknown key '${key}' (known: ${[...MODULE_KEYS].join(', ')})`);
  if ((entry.file === undefined) === (entry.files === undefined)) throw usageError(`${where}: give "file" or "files" (one of them)`);
  const files = entry.file !== undefined ? [requiredString(entry.file, `${where}.file`)] : stringArray(entry.files, `${where}.files`, { nonEmpty: true });
  const instances = entry.instances ?? 1;
  if (!(Number.isInteger(instances) && (instances as number) >= 1)) throw usageError(`${where}.instances must be a whole number >= 1`);
  if ((instances as number) > MAX_INSTANCES) throw usageError(`${where}.instances must be at most ${MAX_INSTANCES}`);
  const env = entry.env ?? {};
  if (!isObject(env) || !Object.values(env).every((v) => typeof v === 'string')) throw usageError(`${where}.env must be an object of strings`);
  // What a process environment cannot hold: found here, naming the key, not when the process is started.
  const badName = Object.entries(env).find(([k, v]) => k === '' || k.includes('=') || k.includes('\0') || (v as string).includes('\0'));
  if (badName)
    throw usageError(`${where}.env: '${badName[0].replace('\0', '\\0')}' cannot be passed (a name must be non-empty without '=' or NUL, a value without NUL)`);
  return {
    label: optionalString(entry.name, `${where}.name`) ? (entry.name as string) : basename(files[0]!),
    files: files.map((f) => resolve(base, f)),
    only: entry.only === undefined ? [] : stringArray(entry.only, `${where}.only`, { nonEmpty: true }),
    instances: instances as number,
    env: env as Record<string, string>,
    logLevel: optionalLevel(entry.logLevel, `${where}.logLevel`),
    watch: entry.watch === undefined ? [] : existingPaths(stringArray(entry.watch, `${where}.watch`, { nonEmpty: false }), base, `${where}.watch`),
  };
}

/** Watched paths, resolved: one that doesn't exist would never reload anything, so it is a mistake to point out. */
function existingPaths(paths: string[], base: string, where: string): string[] {
  return paths.map((path) => {
    const resolved = resolve(base, path);
    if (!existsSync(resolved)) throw usageError(`${where}: ${path} does not exist (${resolved})`);
    return resolved;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw usageError(`${where} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, where: string): boolean {
  if (value === undefined) return false;
  requiredString(value, where);
  return true;
}

function stringArray(value: unknown, where: string, { nonEmpty }: { nonEmpty: boolean }): string[] {
  if (!Array.isArray(value) || (nonEmpty && value.length === 0) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw usageError(`${where} must be an array of ${nonEmpty ? 'one or more ' : ''}non-empty strings`);
  }
  return value as string[];
}

function optionalGrace(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isGrace(value)) throw usageError(`${where} must be ${GRACE_RULE}`);
  return value;
}

function optionalLevel(value: unknown, where: string): LogLevel | undefined {
  if (value === undefined) return undefined;
  if (!isLogLevel(value)) throw usageError(`${where} must be debug, info, warning, error, critical or silent`);
  return value;
}

function optionalBoolean(value: unknown, where: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw usageError(`${where} must be true or false`);
  return value;
}
