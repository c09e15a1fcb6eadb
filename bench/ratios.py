#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ratios.py RAW.txt...: umgmt against the fastest other backend, per size.

Reads the harness's raw lines ("size=N backend=B mode=M rep=R metric=X value=V"),
takes the median over reps per (size, backend, mode, metric) and prints one
Markdown table: umgmt's value, the fastest other backend's (and which), and the
ratio other/umgmt (> 1: umgmt is faster) for latencies; umgmt/other for
throughput. Callgrind instruction counts when present.
"""
import collections
import statistics
import sys

LAT = [("getpwnam hit µs", "getpwnam_hit_median_ns"),
       ("getpwnam miss µs", "getpwnam_miss_median_ns"),
       ("getpwuid hit µs", "getpwuid_hit_median_ns"),
       ("getgrnam hit µs", "getgrnam_hit_median_ns"),
       ("getgrgid hit µs", "getgrgid_hit_median_ns"),
       ("initgroups µs", "initgroups_hit_median_ns"),
       ("enum passwd ms", "enum_passwd_ms"),
       ("cold id µs", "cold_id_median_ns"),
       ("cold noop µs (exec only)", "cold_noop_median_ns"),
       ("getgrnam biggest group µs", "biggroup_getgrnam_hit_median_ns"),
       ("getgrgid biggest group µs", "biggroup_getgrgid_hit_median_ns")]
THR = [("getpwnam 1-thr kops/s", "getpwnam_hit_ops_per_s"),
       ("getpwnam 2-thr kops/s", "getpwnam_hit_t2_ops_per_s")]
CG = ["getpwnam_hit", "getpwuid_hit", "getgrnam_hit", "getpwnam_miss", "initgroups_hit"]


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def main():
    runs = collections.defaultdict(list)
    for path in sys.argv[1:]:
        for line in open(path):
            if line.startswith("#") or "metric=" not in line:
                continue
            kv = dict(t.split("=", 1) for t in line.split() if "=" in t)
            try:
                runs[(int(kv["size"]), kv["backend"], kv["mode"], kv["metric"])].append(
                    float(kv["value"]))
            except ValueError:
                pass
    med = {k: statistics.median(v) for k, v in runs.items()}
    sizes = sorted({k[0] for k in med})
    modes = sorted({k[2] for k in med if k[2] not in ("load",)})
    others = sorted({k[1] for k in med if k[1] != "umgmt"})
    print("| users | mode | metric | umgmt | fastest other | ratio |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        for m in modes:
            for title, metric in LAT + THR:
                ours = med.get((n, "umgmt", m, metric))
                cand = [(med[(n, b, m, metric)], b) for b in others if (n, b, m, metric) in med]
                if ours is None or not cand:
                    continue
                thr = (title, metric) in THR
                best, who = max(cand) if thr else min(cand)
                div = 1e3 if metric.endswith("_ns") or thr else 1
                ratio = (ours / best if thr else best / ours) if ours and best else None
                print(f"| {n:,} | {m} | {title} | {fmt(ours / div)} | {fmt(best / div)} ({who}) "
                      f"| {fmt(ratio)}x |")
    for n in sizes:
        imp = med.get((n, "umgmt", "load", "import_s"))
        if imp is not None:
            print(f"| {n:,} | load | umctl import s | {fmt(imp)} | - | - |")
    cg = {k: v for k, v in med.items() if k[3].startswith("callgrind_")}
    if cg:
        print()
        print("Callgrind instructions per lookup (dl mode):")
        print()
        print("| users | backend | " + " | ".join(CG) + " |")
        print("|---|---|" + "---|" * len(CG))
        for n, b in sorted({(k[0], k[1]) for k in cg}):
            print(f"| {n:,} | {b} | " + " | ".join(
                fmt(cg.get((n, b, "dl", f"callgrind_{c}_ir"))) for c in CG) + " |")


if __name__ == "__main__":
    main()
