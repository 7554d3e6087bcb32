// Package baseline is the lake's opinionated defaults and the helpers that
// apply them, shared by every stack: removal and log retention, IAM
// statements and service roles, the compliance packs and their
// suppressions, and what the local profile keeps from emulators. None of it
// reads the app's configuration: callers pass the values.
package baseline
