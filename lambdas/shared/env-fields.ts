/**
 * How a setting crosses a Lambda environment: `EnvField` writes a value as variables and reads it back, and `EnvTable`
 * lists one field per setting of a function (`config.ts` holds each function's table). Strings, seconds, space-separated
 * lists and JSON; a setting kept out of the environment is `NOT_IN_ENV`.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** How one setting crosses the environment: the variables it is written as, and how they are read back. */
export interface EnvField<T> {
  write(value: T): Record<string, string>;
  /** The value, or undefined when its variables are unset (the setting's default applies). */
  read(env: Env): T | undefined;
}

/** A setting kept out of the environment: deployed functions always run with its default. */
export const NOT_IN_ENV: EnvField<never> = { write: () => ({}), read: () => undefined };

/** A string, as is; an empty one reads as unset. */
export const text = (name: string): EnvField<string> => ({ write: (v) => ({ [name]: v }), read: (env) => env[name] || undefined });
/** A number of seconds; a set value that is not one throws, naming the variable. */
export const seconds = (name: string): EnvField<number> => ({
  write: (v) => ({ [name]: String(v) }),
  read: (env) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`environment variable ${name} must be a number of seconds, got ${raw}`);
    return value;
  },
});
/** A list, space-separated (an empty variable is an empty list: a registry with no clients lists no grant type). */
export const words = (name: string): EnvField<readonly string[]> => ({
  write: (v) => ({ [name]: v.join(' ') }),
  read: (env) => (env[name] === undefined ? undefined : env[name].split(' ').filter(Boolean)),
});
/** A structured value, as JSON. */
export const json = <T>(name: string): EnvField<T> => ({
  write: (v) => ({ [name]: JSON.stringify(v) }),
  read: (env) => (env[name] ? (JSON.parse(env[name]) as T) : undefined),
});

/** The table's shape: a field per setting, every setting (optional ones included) listed. */
export type EnvTable<C> = { readonly [K in keyof C]-?: EnvField<NonNullable<C[K]>> };

/** Writes `settings` as `table` orders its variables; unset optional settings write nothing. */
export function writeEnv<C extends object>(table: EnvTable<C>, settings: C): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(table) as (keyof C)[]) {
    const value = settings[key];
    if (value !== undefined) Object.assign(env, table[key].write(value as NonNullable<C[keyof C]>));
  }
  return env;
}

/** Reads every setting of `table` that is set in `env` (the caller applies defaults and checks required ones). */
export function readEnv<C extends object>(table: EnvTable<C>, env: Env): Partial<C> {
  const settings: Partial<Record<keyof C, unknown>> = {};
  for (const key of Object.keys(table) as (keyof C)[]) {
    const value = table[key].read(env);
    if (value !== undefined) settings[key] = value;
  }
  return settings as Partial<C>;
}

/** The value of environment variable `name`; throws naming it when it is unset or empty. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
