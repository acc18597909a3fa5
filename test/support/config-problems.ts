import { ConfigError, loadConfig } from '../../src/config';

/** The problems `loadConfig` lists for an environment it refuses; fails the test when it accepts it. */
export function configProblemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('loadConfig accepted the environment');
}
