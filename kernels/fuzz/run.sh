#!/usr/bin/env bash
# Builds the libFuzzer harnesses with ASan + UBSan (clang-14) and runs a short campaign on each.
#   kernels/fuzz/run.sh [seconds per harness, default 20]      (longer runs: kernels/README.md)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../src"
seconds="${1:-20}"
cc="${CLANG:-clang-14}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
flags=(-std=c11 -O1 -g -ffp-contract=off -I "$here/../include" -fsanitize=address,undefined -fno-sanitize-recover=all)
for unit in sample batch select math dispatch trie scan_scalar; do "$cc" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src/$unit.c" -o "$out/$unit.o"; done
"$cc" "${flags[@]}" -fsanitize=fuzzer-no-link -mavx2 -c "$src/scan_avx2.c" -o "$out/scan_avx2.o"
"$cc" "${flags[@]}" -fsanitize=fuzzer-no-link -mavx512f -c "$src/scan_avx512.c" -o "$out/scan_avx512.o"
for harness in fuzz_sample fuzz_mask fuzz_trie; do
  "$cc" "${flags[@]}" -fsanitize=fuzzer "$here/$harness.c" "$out"/*.o -o "$out/$harness"
  mkdir -p "$out/corpus-$harness"
  echo "fuzz: $harness for ${seconds}s"
  status=0
  "$out/$harness" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -artifact_prefix="${ARTIFACTS:-$out}/" \
    "$out/corpus-$harness" >"$out/$harness.log" 2>&1 || status=$?
  grep -E "^stat::number_of_executed_units|^Done" "$out/$harness.log" || true
  if [ "$status" -ne 0 ]; then tail -40 "$out/$harness.log"; exit "$status"; fi
done
