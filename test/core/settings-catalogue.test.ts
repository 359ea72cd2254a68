/** The catalogue is the one list: the readers read exactly it, and the docs are generated from it. */
import { describe, expect, it } from 'vitest';
import { ALL_SETTINGS, ConfigError, loadConfig, type SettingSource } from '../../src/config/index.js';
import { renderEnvExample, settingsDocsTargets } from '../../tools/settings-docs.js';

describe('the settings catalogue', () => {
  it('lists exactly the settings loadConfig reads', () => {
    const asked = new Set<string>();
    const recording: SettingSource = {
      get: (name) => {
        asked.add(name);
        return undefined;
      },
      where: (name) => name,
    };
    expect(() => loadConfig(recording)).toThrow(ConfigError);
    expect([...asked].sort()).toEqual(ALL_SETTINGS.map((s) => s.name).sort());
  });

  it('gives every setting a meaning, and defaults that its own reader accepts', () => {
    for (const s of ALL_SETTINGS) expect(s.meaning.length, s.name).toBeGreaterThan(10);
    const defaults = Object.fromEntries(
      ALL_SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.name, s.default]),
    );
    const problems = (() => {
      try {
        loadConfig({ get: (name) => defaults[name], where: (name) => name });
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.join('\n');
      }
      return '';
    })();
    for (const name of Object.keys(defaults)) expect(problems).not.toContain(name);
  });

  it('.env.example and the README Settings table are what npm run settings:docs generates', () => {
    for (const target of settingsDocsTargets()) {
      expect(target.current, `${target.path} is out of date: run npm run settings:docs`).toBe(target.wanted);
    }
    const example = renderEnvExample();
    for (const s of ALL_SETTINGS) expect(example).toMatch(new RegExp(`^(# )?${s.name}=`, 'm'));
  });
});
