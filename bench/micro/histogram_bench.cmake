set(PLPROBE_BENCH_LIBS plprobe_bench)
