#!/usr/bin/env bash
# Builds the fuzz targets' seed corpora in fuzz/corpus/<target>/ (not checked in) from the
# repository's fixtures and ../shared/data: a few lines or files of each kind, each seed a
# small file named by its content's hash. Run from anywhere; rerun after fixtures change.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$fuzz")"
shared="${SHARED_DATA:-$repo/../shared/data}"
corpus="$fuzz/corpus"

# seed TARGET: stores stdin as one seed of TARGET.
seed() {
    local dir="$corpus/$1" tmp
    mkdir -p "$dir"
    tmp="$(mktemp "$dir/.seed.XXXXXX")"
    cat > "$tmp"
    if [ -s "$tmp" ]; then
        mv "$tmp" "$dir/$(sha1sum "$tmp" | cut -c1-16)"
    else
        rm -f "$tmp"
    fi
}

# lines FILE N: the first N lines of FILE (decompressed if it is zstd).
lines() {
    case "$1" in
        *.zst) zstd -dc "$1" 2>/dev/null | head -n "$2" || true ;;
        *) head -n "$2" "$1" ;;
    esac
}

event_files=("$repo"/corpus/handwritten/* "$repo"/corpus/fixtures/*.zst "$repo"/engine/tests/access/logs/*/*)
if [ -d "$shared/events" ]; then
    # A sample of the public event logs: every 25th file, sorted, for variety of shapes.
    while IFS= read -r f; do event_files+=("$f"); done < <(
        find "$shared/events" -name '*.jsonl' -size -2M | sort | awk 'NR % 25 == 1')
fi

for f in "${event_files[@]}"; do
    # One line per seed for line parsing, a W3C directive kept with the line after it.
    lines "$f" 40 | awk -v n=5 'NR % n == 1' | while IFS= read -r l; do
        printf '%s' "$l" | seed line_parse
    done
    if grep -q '^#Fields:' "$f" 2>/dev/null; then
        grep -m1 -A1 '^#Fields:' "$f" | seed line_parse
    fi
    # A few lines per seed for the whole pipeline and the prefilter.
    lines "$f" 12 | seed scan_bytes
    lines "$f" 12 | seed prefilter_soundness
    lines "$f" 6 | seed framing_chunks
done

rule_files=("$repo"/engine/rules/builtin/*.yml "$repo"/engine/tests/vectors/*.yml)
if [ -d "$shared/sigma" ]; then
    while IFS= read -r f; do rule_files+=("$f"); done < <(
        { find "$shared/sigma/rules/web" "$shared/sigma/spec" -name '*.yml';
          find "$shared/sigma/rules/windows" -name '*.yml' | sort | awk 'NR % 20 == 1'; } | sort)
fi
for f in "${rule_files[@]}"; do
    head -c 16384 "$f" | seed sigma_compile
done

mkdir -p "$corpus/correlation_order"
for d in "$corpus"/*/; do
    echo "$(basename "$d"): $(find "$d" -type f | wc -l) seeds"
done
