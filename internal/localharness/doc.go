// Package localharness runs the lake on an AWS emulator on
// 127.0.0.1: it starts ministack from the project's .venv, deploys the local
// profile with cdklocal, sends telemetry with the producer's generator, and
// reads back what Firehose delivered, what Athena answers and what the
// transform logged. scripts/local is its command line (make local), and the
// end-to-end tests in e2e/ drive it.
package localharness
