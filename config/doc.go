// Package config holds Cairn's configuration: the Config struct, its
// defaults, and Load, which layers a YAML file, QDRANT__SECTION__KEY and
// CAIRN__SECTION__KEY environment variables and command-line overrides on
// top of the defaults, then validates the result. Every error names the
// offending key.
package config
