#!/usr/bin/env bash
# Builds every fuzz target with plain cargo (no cargo-fuzz, no sanitizer, no nightly flags;
# sharing the main workspace's target directory, whose dependencies it reuses) and runs
# each once on every input in fuzz/regressions/<target>/: past crashes and hostile inputs
# that must keep passing. Used by .ci/run; see fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd .. && pwd)/target}"
cargo build --quiet --manifest-path Cargo.toml --bins
passed=0
for source in fuzz_targets/*.rs; do
    target="$(basename "$source" .rs)"
    inputs=(regressions/"$target"/*)
    if [ ! -e "${inputs[0]}" ]; then
        echo "fuzz/replay.sh: no regression inputs for $target (add at least one)" >&2
        exit 1
    fi
    if ! "$CARGO_TARGET_DIR/debug/$target" -runs=1 "${inputs[@]}" > "$CARGO_TARGET_DIR/fuzz-replay-$target.log" 2>&1; then
        cat "$CARGO_TARGET_DIR/fuzz-replay-$target.log" >&2
        echo "fuzz/replay.sh: $target failed on its regression inputs" >&2
        exit 1
    fi
    echo "fuzz replay: $target: ${#inputs[@]} inputs ok"
    passed=$((passed + ${#inputs[@]}))
done
echo "fuzz replay: $passed passed, 0 failed"
