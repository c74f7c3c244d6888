#!/usr/bin/python3
"""report.py - the table of `make bench` (bench/run.sh calls it).

usage: report.py OUTDIR RESULTS_MD

Reads what bench/run.sh left in OUTDIR (runs.tsv, mem.tsv, meta.env,
hash.txt, commands.tsv), prints the table on stdout and writes RESULTS_MD.
Every figure is the median of the measured runs (the warm-up run, number 0,
is listed but never counted); every ratio compares two medians of the same
`make bench` invocation. docs/performance.md explains the figures.
"""
import os
import statistics
import sys

LABELS = {
    "healthz": "GET /healthz",
    "bare": "bare libfcgi program",
    "readyz": "GET /readyz",
    "verify_small": "chat verify-token, 10,000 tokens",
    "verify": "chat verify-token, {tokens} tokens",
    "introspect": "POST /oauth/introspect",
    "client_credentials": "client_credentials issuance",
    "refresh": "refresh rotation",
    "login": "legacy login POST /v1/oauth/",
    "fixed_readyz": "GET /readyz, fixed pool of {fixed} (mod_proxy_fcgi)",
    "fixed_verify": "chat verify-token, {tokens} tokens, fixed pool of "
                    "{fixed} (mod_proxy_fcgi)",
    "fixed_client_credentials": "client_credentials issuance, fixed pool "
                                "of {fixed} (mod_proxy_fcgi)",
}
ORDER = ["bare", "healthz", "readyz", "verify_small", "verify", "introspect",
         "client_credentials", "refresh", "login", "fixed_readyz",
         "fixed_verify", "fixed_client_credentials"]

# scenario -> (ceiling scenario, minimum ratio or None, what the ratio is)
CEILING = {
    "healthz": ("bare", 0.90, "/healthz within 10 % of the bare program"),
    "readyz": ("healthz", None, ""),
    "verify_small": ("readyz", None, ""),
    "verify": ("readyz", 0.85, "verify-token >= 0.85 x /readyz"),
    "introspect": ("readyz", 0.75, "introspection >= 0.75 x /readyz"),
    "client_credentials": ("readyz", 0.60,
                           "client_credentials >= 0.6 x /readyz"),
    "refresh": ("readyz", None, ""),
    "login": ("hash", 0.90, "legacy login >= 0.9 x raw hash verifies/s"),
    # The fixed pool's phase: ratios for information, the targets are
    # judged on the shipped mod_fcgid runs; its p99 is judged below.
    "fixed_verify": ("fixed_readyz", None, ""),
    "fixed_client_credentials": ("fixed_readyz", None, ""),
}
P99_64 = {"verify": 25.0, "client_credentials": 30.0, "fixed_verify": 25.0,
          "fixed_client_credentials": 30.0}
RSS_MAX_KB = 8 * 1024
PRIVATE_MAX_KB = 1536
# glibc keeps up to 128 KiB (M_TRIM_THRESHOLD) free at the top of the heap
# before returning it, so a process's private memory moves by up to that
# between two samples without any leak. A leak of 30 bytes a request shows
# above it: at c16 a process serves about 4,000 requests a run.
GROWTH_MAX_KB = 128


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                meta[k] = v
    return meta


def read_runs(path):
    runs = []
    with open(path) as f:
        for line in f:
            scen, conc, run, rest = line.rstrip("\n").split("\t", 3)
            d = {"scenario": scen, "conc": int(conc), "run": int(run)}
            for kv in rest.split():
                k, v = kv.split("=", 1)
                d[k] = float(v)
            runs.append(d)
    return runs


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_rps(x):
    return "-" if x is None else "{:,.0f}".format(x)


def fmt_ms(us):
    return "-" if us is None else "{:.2f}".format(us / 1000.0)


def main():
    outdir, results = sys.argv[1], sys.argv[2]
    meta = read_meta(os.path.join(outdir, "meta.env"))
    runs = read_runs(os.path.join(outdir, "runs.tsv"))
    concs = sorted({r["conc"] for r in runs})
    tokens = int(meta.get("tokens", "0"))

    def scen_label(scen):
        return LABELS[scen].format(tokens="{:,}".format(tokens),
                                   fixed=meta.get("fixed_pool", "?"))

    # Medians per (scenario, concurrency) of the measured runs.
    m = {}
    for r in runs:
        if r["run"] == 0:
            continue
        m.setdefault((r["scenario"], r["conc"]), []).append(r)
    agg = {}
    for key, rs in m.items():
        errors = sum(r["non2xx"] + r["bad"] + r["timeout"] + r["connect"] +
                     r["read"] + r["write"] for r in rs)
        agg[key] = {
            "rps": med([r["rps"] for r in rs]),
            "p50": med([r["p50_us"] for r in rs]),
            "p99": med([r["p99_us"] for r in rs]),
            "max": max(r["max_us"] for r in rs),
            "p90": med([r["p90_us"] for r in rs]),
            "errors": int(errors),
            "wrapped": int(sum(r.get("wrapped", 0) for r in rs)),
            "n": len(rs),
        }

    # The login's ceiling, measured between its runs (scenario "hash").
    hash_line = ""
    hp = os.path.join(outdir, "hash.txt")
    if os.path.exists(hp):
        with open(hp) as f:
            hash_line = f.read().strip()

    def ceiling_rps(scen, conc):
        c = CEILING.get(scen)
        if c is None:
            return None, None
        a = agg.get((c[0], conc))
        if c[0] == "hash":
            return (a["rps"] if a else None), \
                "raw hash verifies/s ({})".format(fmt_rps(a["rps"]) if a
                                                   else "-")
        return (a["rps"] if a else None), scen_label(c[0])

    lines = []
    targets = []
    w = lines.append

    w("# `make bench` results")
    w("")
    w("Written by `bench/run.sh` ({}); docs/performance.md explains every "
      "figure and how to rerun. Medians of {} runs of {} s each, after a "
      "{} s warm-up, at each concurrency; wrk with {} threads on the same "
      "machine. Scenarios compared with each other ran interleaved (/healthz "
      "with the bare program; /readyz with everything that reads or writes "
      "the database; the login with the raw hash). Before the first "
      "scenario, {} s of traffic at the highest concurrency grew the "
      "mod_fcgid pools to {} application and {} bare processes.".format(
          meta.get("date", "?"), meta.get("runs"), meta.get("duration"),
          meta.get("warmup"), meta.get("threads"),
          meta.get("pool_warmup_seconds", "0"), meta.get("pool_app", "?"),
          meta.get("pool_bare", "?")))
    settle = [(k[len("settle_"):], v) for k, v in meta.items()
              if k.startswith("settle_")]
    if settle:
        w("")
        w("Before the full-table scenarios, the logins and the fixed pool, "
          "the bench waited for MariaDB to go idle (its purge and page "
          "flushing after the writes before): " + ", ".join(
              "{} s ({})".format(v, k.replace("_", " ")) for k, v in settle)
          + ".")
    if meta.get("fixed_pool", "0") != "0":
        w("")
        w("The last rows (\"fixed pool\") ran after everything else, in the "
          "same Apache, database and token table, with the application "
          "behind mod_proxy_fcgi as apache-conf/proxy-fcgi.conf ships it: "
          "{} processes sharing one socket (bench/fcgi-pool.py in place of "
          "the systemd units), at concurrency {}.".format(
              meta["fixed_pool"], meta.get("fixed_concs", "?")))
    w("")
    w("## Machine and versions")
    w("")
    for k, label in [("cpu", "CPU"), ("cores", "cores"), ("memory", "memory"),
                     ("os", "OS"), ("kernel", "kernel"), ("apache", "Apache"),
                     ("pkg_libapache2-mod-fcgid", "mod_fcgid (Debian)"),
                     ("mariadb_version", "MariaDB"),
                     ("pkg_libfcgi0ldbl", "libfcgi"),
                     ("pkg_libmariadb3", "libmariadb"),
                     ("pkg_libcrypt1", "libxcrypt"), ("pkg_libssl3", "OpenSSL"),
                     ("pkg_wrk", "wrk"), ("binary", "cgi/oauth.fcgi")]:
        w("- {}: {}".format(label, meta.get(k, "?")))
    w("- load average at start / end: {} / {} (other work on the machine "
      "shifts absolute numbers; the ratios compare runs of the same "
      "invocation)".format(meta.get("loadavg_start", "?"),
                           meta.get("loadavg_end", "?")))
    w("")
    w("## Settings")
    w("")
    w("- tokens: {:,} live access tokens (filled through SQL in {} s; table "
      "{} MiB; {} rows at the start of the full-size scenarios, {} at the "
      "end)".format(tokens, meta.get("fill_seconds", "?"),
                    meta.get("table_mb", "?"), meta.get("token_rows", "?"),
                    meta.get("final_rows", "?")))
    w("- MariaDB: innodb_flush_log_at_trx_commit={}, innodb_flush_method={}, "
      "max_connections={}; innodb_buffer_pool_size {} MiB (the bench sizes "
      "it to the table; everything else as scripts/stack.sh starts it)"
      .format(meta.get("mariadb_innodb_flush_log_at_trx_commit", "?"),
              meta.get("mariadb_innodb_flush_method", "?"),
              meta.get("mariadb_max_connections", "?"),
              meta.get("pool_mb", "?")))
    w("- password hash: `{}...` (the configured scheme and cost)".format(
        meta.get("password_hash", "?")))
    ap = sorted((k[len("apache_"):], v) for k, v in meta.items()
                if k.startswith("apache_"))
    w("- Apache / mod_fcgid: " + ", ".join("{} {}".format(k, v)
                                           for k, v in ap))
    if meta.get("proxy", "0") != "0":
        w("- **the application ran as a fixed pool of {} processes behind "
          "mod_proxy_fcgi** (BENCH_PROXY; apache-conf/proxy-fcgi.conf); the "
          "bare program under mod_fcgid".format(meta["proxy"]))
    if meta.get("apache_override"):
        w("- **Apache/mod_fcgid settings overridden for this run** "
          "(BENCH_APACHE): `{}`".format(meta["apache_override"]))
    else:
        w("- Apache/mod_fcgid settings: as shipped (apache-conf/local.conf.in "
          "via scripts/stack.sh)")
    if hash_line:
        w("- raw hash, last of its runs: `{}`".format(hash_line))
    w("")

    w("## Results")
    w("")
    w("| scenario | conc. | req/s | p50 ms | p90 ms | p99 ms | "
      "ceiling | ratio | target |")
    w("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for scen in ORDER:
        for conc in concs:
            a = agg.get((scen, conc))
            if a is None:
                continue
            crps, clabel = ceiling_rps(scen, conc)
            ratio = a["rps"] / crps if crps else None
            tgt = ""
            c = CEILING.get(scen)
            if c and c[1] is not None and ratio is not None:
                ok = ratio >= c[1]
                tgt = "{} {:.2f}: {}".format(">=", c[1],
                                            "met" if ok else "**not met**")
                targets.append((c[2] + " (c{})".format(conc),
                                "{:.2f}".format(ratio), ok))
            if scen in P99_64 and conc == 64:
                ok = a["p99"] / 1000.0 <= P99_64[scen]
                tgt += ("; " if tgt else "") + "p99 <= {:.0f} ms: {}".format(
                    P99_64[scen], "met" if ok else "**not met**")
                targets.append(("p99 at c64 of {} <= {:.0f} ms".format(
                    scen_label(scen),
                    P99_64[scen]), fmt_ms(a["p99"]) + " ms", ok))
            note = ""
            if a["errors"]:
                note += " ({} errors)".format(a["errors"])
            # 10,000 tokens are necessarily reused within a run; any
            # other set is large enough that a wrap means a repeat.
            if a["wrapped"] and scen != "verify_small":
                note += " (token slice wrapped)"
            w("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                scen_label(scen), note, conc,
                fmt_rps(a["rps"]), fmt_ms(a["p50"]), fmt_ms(a["p90"]),
                fmt_ms(a["p99"]), clabel or "-",
                "-" if ratio is None else "{:.2f}".format(ratio), tgt or "-"))
    for conc in concs:
        a = agg.get(("hash", conc))
        if a:
            w("| raw password-hash verifies, all cores (between the login "
              "runs) | {} | {} | - | - | - | - | - | - |".format(
                  conc, fmt_rps(a["rps"])))
    w("")

    # Growth with table size.
    w("## Growth with table size")
    w("")
    w("| conc. | verify-token at 10,000 tokens | at {:,} tokens | ratio | "
      "target |".format(tokens))
    w("|---:|---:|---:|---:|---|")
    for conc in concs:
        s, b = agg.get(("verify_small", conc)), agg.get(("verify", conc))
        if not s or not b:
            continue
        ratio = b["rps"] / s["rps"]
        ok = ratio >= 0.90
        targets.append(("verify-token at {:,} within 10 % of 10,000 (c{})"
                        .format(tokens, conc), "{:.2f}".format(ratio), ok))
        w("| {} | {} | {} | {:.2f} | >= 0.90: {} |".format(
            conc, fmt_rps(s["rps"]), fmt_rps(b["rps"]), ratio,
            "met" if ok else "**not met**"))
    w("")

    # Memory.
    mem = []
    mp = os.path.join(outdir, "mem.tsv")
    if os.path.exists(mp):
        with open(mp) as f:
            for line in f:
                label, pid, rss, priv, pss = line.rstrip("\n").split("\t")
                mem.append((label, int(pid), int(rss), int(priv), int(pss)))
    w("## Memory of the FastCGI processes")
    w("")
    end = [x for x in mem if x[0] == "end"]
    if end:
        rss = max(x[2] for x in end)
        priv = max(x[3] for x in end)
        w("After the run, {} processes: RSS {:.1f}-{:.1f} MiB, private "
          "(Private_Clean + Private_Dirty of smaps_rollup) {:.2f}-{:.2f} "
          "MiB, PSS {:.2f}-{:.2f} MiB.".format(
              len(end), min(x[2] for x in end) / 1024.0, rss / 1024.0,
              min(x[3] for x in end) / 1024.0, priv / 1024.0,
              min(x[4] for x in end) / 1024.0, max(x[4] for x in end) / 1024.0))
        targets.append(("RSS of one FastCGI process <= 8 MiB",
                        "{:.1f} MiB".format(rss / 1024.0), rss <= RSS_MAX_KB))
        targets.append(("private memory of one process <= 1.5 MiB",
                        "{:.2f} MiB".format(priv / 1024.0),
                        priv <= PRIVATE_MAX_KB))
    # Growth: the same process after the first and the last measured run of
    # one scenario at one concurrency (the same requests again and again).
    # Only processes already sampled before that scenario started count: a
    # process started during it (mod_fcgid replaces one every
    # FcgidMaxRequestsPerProcess requests) is still touching its pages for
    # the first time.
    growth = 0
    where = ""
    by = {}
    first_seen = {}
    label_index = {}
    for i, (label, pid, rss, priv, pss) in enumerate(mem):
        label_index.setdefault(label, i)
        first_seen.setdefault(pid, label_index[label])
    for label, pid, rss, priv, pss in mem:
        parts = label.split()
        if len(parts) != 3:
            continue
        start = label_index.get("{} {} r1".format(parts[0], parts[1]))
        if start is None or first_seen[pid] >= start:
            continue
        by.setdefault((parts[0], parts[1]), {}).setdefault(pid, []).append(
            priv)
    # Growth is the last run's value above the highest of the earlier
    # ones: malloc moving the top of its heap by a few pages up and down
    # is not growth; a leak rises run after run.
    for key, pids in by.items():
        for pid, series in pids.items():
            if len(series) >= 2 and series[-1] - max(series[:-1]) > growth:
                growth = series[-1] - max(series[:-1])
                where = "{} {} (pid {})".format(key[0], key[1], pid)
    if by:
        w("")
        w("Largest growth of one process's private memory in the last run of "
          "a scenario over the earlier runs of the same scenario (processes "
          "started before that scenario): {} KiB{}.".format(
              growth, " in " + where if where else ""))
        targets.append(("no memory growth across runs (<= {} KiB)".format(
            GROWTH_MAX_KB), "{} KiB".format(growth), growth <= GROWTH_MAX_KB))
    w("")
    w("| after | processes | max RSS MiB | max private MiB |")
    w("|---|---:|---:|---:|")
    seen = []
    for label, *_ in mem:
        if label not in seen:
            seen.append(label)
    for label in seen:
        xs = [x for x in mem if x[0] == label]
        w("| {} | {} | {:.1f} | {:.2f} |".format(
            label, len(xs), max(x[2] for x in xs) / 1024.0,
            max(x[3] for x in xs) / 1024.0))
    w("")

    w("## Targets")
    w("")
    w("| target | measured | |")
    w("|---|---:|---|")
    for name, val, ok in targets:
        w("| {} | {} | {} |".format(name, val, "met" if ok else
                                     "**not met**"))
    w("")

    w("## wrk command lines")
    w("")
    w("```")
    cp = os.path.join(outdir, "commands.tsv")
    if os.path.exists(cp):
        with open(cp) as f:
            for line in f:
                scen, conc, cmd = line.rstrip("\n").split("\t", 2)
                w(cmd)
    w("```")
    w("")
    w("## Every run")
    w("")
    w("Run 0 is the warm-up (not counted).")
    w("")
    w("| scenario | conc. | run | req/s | p50 ms | p90 ms | p99 ms | max ms "
      "| errors |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        err = int(r["non2xx"] + r["bad"] + r["timeout"] + r["connect"] +
                  r["read"] + r["write"])
        w("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r["scenario"], r["conc"], r["run"], fmt_rps(r["rps"]),
            fmt_ms(r["p50_us"]), fmt_ms(r["p90_us"]), fmt_ms(r["p99_us"]),
            fmt_ms(r["max_us"]), err))
    w("")

    text = "\n".join(lines)
    with open(results, "w") as f:
        f.write(text)
    # stdout: the results table and the targets, the part to read.
    out = text.split("## Results", 1)[1].split("## wrk command lines")[0]
    print("## Results" + out.rstrip())
    print("\n(full report: {})".format(os.path.relpath(results)))


if __name__ == "__main__":
    main()
