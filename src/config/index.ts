export { loadConfig, readConfigFile, describeConfig, maskSecret, ConfigError } from './load-config.ts';
export { OPTIONS, isLoopback, type Config, type LogLevel } from './options.ts';
