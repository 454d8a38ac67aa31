#!/usr/bin/env python3
"""Writes the statistics the caseless prefilter picks its windows by (engine/src/prefilter/):

* common_grams.bin: the 4,096 most common 4-byte sequences of real Windows telemetry
  (lowercased), sorted, 5 bytes each: the 4 bytes, then round(16 * log2(occurrences per
  million bytes)) clamped to 0-255;
* common_bytes.bin: 128 bytes, for each ASCII byte round(-8 * log2(its frequency)).

Counted over the NDJSON event logs in ../shared/data/events (public samples; see that
directory's README for their sources and licenses). Only these counts are kept, no event.
Usage: python3 engine/tools/common_grams.py ../shared/data/events engine/src/prefilter
"""
import collections
import math
import os
import sys

events, out = sys.argv[1], sys.argv[2]
grams = collections.Counter()
bytes_seen = collections.Counter()
total = 0
for root, _, files in sorted(os.walk(events)):
    for name in sorted(files):
        data = open(os.path.join(root, name), "rb").read().lower()
        total += len(data)
        bytes_seen.update(data)
        grams.update(data[i : i + 4] for i in range(len(data) - 3))

table = bytearray()
for gram, n in sorted(grams.most_common(4096)):
    per_million = n / total * 1e6
    table += gram + bytes([min(255, max(0, round(16 * math.log2(per_million))))])
open(os.path.join(out, "common_grams.bin"), "wb").write(table)

costs = bytes(min(255, round(-8 * math.log2((bytes_seen[b] + 1) / total))) for b in range(128))
open(os.path.join(out, "common_bytes.bin"), "wb").write(costs)
print(f"{total} bytes counted; {len(grams)} distinct 4-grams, 4096 kept")
