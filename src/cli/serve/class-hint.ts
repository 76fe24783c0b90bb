/** A hint for a module that exports a class with @LIPModule methods but no instance of it. */

// Set by the decorator on each method it replaces (a registered symbol: any copy of the package sets the same).
const DECORATED = Symbol.for('lipmodule.decorated');

export function decoratedClassHint(exportName: string, value: unknown): string | undefined {
  if (typeof value !== 'function' || typeof value.prototype !== 'object' || value.prototype === null) return undefined;
  const methods: string[] = [];
  for (let proto = value.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const method = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof method === 'function' && DECORATED in method) methods.push(key);
    }
  }
  if (methods.length === 0) return undefined;
  const className = value.name || exportName;
  return (
    `export '${exportName}' is a class with @LIPModule methods (${methods.join(', ')}), but lip serve serves instances: ` +
    `add \`export const ${lowerFirst(className)} = new ${className}();\``
  );
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
