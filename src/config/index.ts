export { loadConfig, readConfigFile, describeConfig, maskSecret, ConfigError } from './load-config.ts';
export { PLATFORM_OPTIONS, isLoopback, defineOption, OptionError, asString, integer, fraction, cidrList, nonEmpty, optional, boolean, optionalHttpUrl, list, type Config, type ConfigKey, type LogLevel, type OptionSpec } from './options.ts';
export { allOptions } from './catalogue.ts';
