/**
 * A configuration value that cannot be used: its message is the one line printed at boot, naming
 * the variable. Its own file so that config.ts and the files it reads settings with (fleet.ts)
 * import it in one direction (config.ts re-exports it for everyone else).
 */
export class ConfigError extends Error {}
