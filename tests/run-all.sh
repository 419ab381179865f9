#!/usr/bin/env bash
# The whole ringflux test suite, exactly what CI runs (`.ci/run` calls this script).
# Installs what the tests need (the official Python clients, into tests/python/.venv).
# Usage: bash tests/run-all.sh        (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "build (debug binary for the e2e tests)"
cargo build --workspace --all-targets

step "Rust tests: unit, line-protocol corpus, engine, e2e against the real binary"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
cargo test --workspace --doc

step "docs (-D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet

step "benches compile"
cargo bench --workspace --no-run --quiet

step "Python e2e with the official influxdb-client"
RINGFLUX_BIN="$PWD/target/debug/ringflux" bash tests/python/run.sh
