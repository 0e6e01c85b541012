// Package config turns the process environment into a typed, validated
// Config. Every invalid variable is reported in one error, so an operator
// fixes a manifest once instead of once per restart.
package config
