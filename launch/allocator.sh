# Sourced by launch/mobilevit and .ci/run: the allocator the launcher runs the JVM with, so the tests
# run under the same one. Where libjemalloc is installed, exports MOBILEVIT_JEMALLOC (its path, where
# `bench train`'s PyTorch baseline finds it too) and, unless MOBILEVIT_NO_JEMALLOC is set, LD_PRELOAD
# and MALLOC_CONF (a MALLOC_CONF already set is kept); changes nothing otherwise.
#
# PyTorch on CPU allocates and frees large activation buffers every step; with glibc each one comes
# back as fresh zero pages (half the CPU time went to page faults here). jemalloc keeps freed pages
# for reuse: 5 s before a dirty page goes back to the system (a step reuses them far sooner), none
# held as "muzzy", and a background thread that does the purging, so resident memory stays flat
# (never purging, dirty_decay_ms:-1, grew +4% from step 200 to 2,000 at batch 2, 64x64;
# docs/benchmarks.md). oversize_threshold:0 keeps allocations over 8 MiB (activations at larger batches) in
# those same arenas: jemalloc's own arena for them hands their pages back at once, and every step
# faulted them in again (batch 16, 256x256: 8.5 against 16.7-20.1 images/s forward+backward).
# Debian/Ubuntu: apt-get install libjemalloc2.
for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2; do
  if [[ -f "$lib" ]]; then
    export MOBILEVIT_JEMALLOC="$lib"
    if [[ -z "${MOBILEVIT_NO_JEMALLOC:-}" ]]; then
      export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
      export MALLOC_CONF="${MALLOC_CONF:-background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0,oversize_threshold:0}"
    fi
    break
  fi
done
