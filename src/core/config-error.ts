/** A configuration problem (config file, a field, an environment variable): one line naming it and what to do. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
