/**
 * Where setting values come from. Today only the environment; a configuration file can be added as
 * another source beside it, and problems then say where the value was found.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface SettingSource {
  /** The raw value, or undefined when this source does not set it. */
  get(name: string): string | undefined;
  /** How a problem names the place a value came from: the variable name, or e.g. "cosjob.yml:12 (port)". */
  where(name: string): string;
}

export function environmentSource(env: Env): SettingSource {
  return { get: (name) => env[name], where: (name) => name };
}

/** The first source that sets a value wins, e.g. the environment over a file. */
export function layeredSources(...sources: readonly SettingSource[]): SettingSource {
  const owner = (name: string) => sources.find((s) => s.get(name) !== undefined);
  return {
    get: (name) => owner(name)?.get(name),
    where: (name) => (owner(name) ?? sources[0])?.where(name) ?? name,
  };
}
