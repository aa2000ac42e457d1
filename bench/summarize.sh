#!/usr/bin/env bash
# bench/summarize.sh RESULTS_DIR — prints the Markdown tables of one bench/run.sh run
# from its results.tsv and ceiling.tsv: medians of the runs for throughput (2xx
# answers per second) and latency (of every answer), errors summed over the runs, peak
# RSS the largest of the runs.
set -euo pipefail
dir=${1:?usage: bench/summarize.sh bench/results/<timestamp>}
[ -f "$dir/results.tsv" ] || { echo "no $dir/results.tsv" >&2; exit 1; }
pool=$(sed -nE 's/.*DB_MAX_CONNS=([0-9]+).*/\1/p' "$dir/machine.txt" 2>/dev/null | head -1)

awk -F'\t' -v pool="${pool:-20}" -v ceilfile="$dir/ceiling.tsv" '
function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    if (n == 0) return 0
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function field(s, name,    m) {
    if (match(s, "(^| )" name "=[^ ]*")) { m = substr(s, RSTART, RLENGTH); sub(/^ /, "", m); sub(/^[^=]*=/, "", m); return m }
    return ""
}
function ms(v) { return v >= 100 ? sprintf("%.0f ms", v) : (v >= 10 ? sprintf("%.1f ms", v) : sprintf("%.2f ms", v)) }
function add(arr, k, v) { arr[k] = (k in arr) ? arr[k] " " v : v }
BEGIN {
    while ((getline line < ceilfile) > 0) {
        split(line, c, "\t")
        if (c[1] == "scenario") continue
        add(ceil, c[1] SUBSEP c[2], c[4])
    }
}
NR == 1 { next }
{
    key = $1 SUBSEP $2 SUBSEP $3
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    r = $6
    # Throughput counts 2xx answers only: a quick 503 is not a request served.
    d = field(r, "duration_s") + 0
    add(rps, key, d > 0 ? (field(r, "requests") - field(r, "non2xx")) / d : 0); add(p50, key, field(r, "p50_ms")); add(p99, key, field(r, "p99_ms")); add(p999, key, field(r, "p999_ms"))
    unans[key] += field(r, "unanswered"); answered[key] += field(r, "requests")
    errs[key] += field(r, "non2xx") + field(r, "connect") + field(r, "read") + field(r, "write") + field(r, "timeout")
    split(field(r, "statuses"), st, ",")
    for (i in st) if (st[i] !~ /^2/ && st[i] != "none") { split(st[i], kv, ":"); bad[key, kv[1]] += kv[2]; codes[key] = codes[key] (index(codes[key], kv[1]) ? "" : " " kv[1]) }
    runrps[key, $4] = d > 0 ? (field(r, "requests") - field(r, "non2xx")) / d : 0
    if ($5 + 0 > rss[key] + 0) rss[key] = $5
    runs[key]++
}
END {
    print "| scenario | connections | req/s | p50 | p99 | p99.9 | errors | peak RSS | of ceiling |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        if (k[1] != "shopfloor") continue
        key = order[i]
        e = errs[key] + 0
        detail = ""
        m = split(codes[key], cl, " ")
        for (j = 1; j <= m; j++) detail = detail (detail ? ", " : "") cl[j] ": " bad[key, cl[j]]
        if (detail != "") detail = " (" detail ")"
        if (unans[key] > 0.1 * answered[key]) detail = detail sprintf("; %d unanswered at the end", unans[key])
        frac = "—"
        cl2 = (k[3] + 0 < pool + 0) ? k[3] : pool
        if ((k[2] SUBSEP cl2) in ceil) {
            cm = median(ceil[k[2] SUBSEP cl2])
            if (cm > 0) frac = sprintf("%.2f of %.0f", median(rps[key]) / cm, cm)
        }
        printf "| %s | %s | %.0f | %s | %s | %s | %d%s | %.0f MiB | %s |\n", k[2], k[3], median(rps[key]),
            ms(median(p50[key])), ms(median(p99[key])), ms(median(p999[key])), e, detail, rss[key] / 1024, frac
    }
    header = 0
    for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        if (k[1] != "bare") continue
        if (!header) {
            print ""
            print "| reference: GET one product | connections | req/s | p50 | p99 | p99.9 | errors | peak RSS | Shopfloor / bare (each pair) |"
            print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            header = 1
        }
        key = order[i]
        sk = "shopfloor" SUBSEP k[2] SUBSEP k[3]
        # run.sh runs bare right after each Shopfloor run of the same number, so each
        # pair met the same machine; the ratio is the median of the pairs'"'"' ratios.
        ratios = ""
        for (run = 1; run <= runs[key]; run++)
            if (((sk, run) in runrps) && runrps[key, run] > 0) ratios = ratios " " runrps[sk, run] / runrps[key, run]
        frac = ratios != "" ? sprintf("%.2f", median(ratios)) : ((sk in rps && median(rps[key]) > 0) ? sprintf("%.2f", median(rps[sk]) / median(rps[key])) : "—")
        pairs = split(ratios, pr, " ")
        pl = ""
        for (j = 1; j <= pairs; j++) pl = pl (pl ? ", " : "") sprintf("%.2f", pr[j])
        if (pairs > 1) frac = frac " (" pl ")"
        printf "| bench/bare (net/http + pgx) | %s | %.0f | %s | %s | %s | %d | %.0f MiB | %s |\n", k[3], median(rps[key]),
            ms(median(p50[key])), ms(median(p99[key])), ms(median(p999[key])), errs[key], rss[key] / 1024, frac
    }
    header = 0
    ns = split("product-get product-search dashboard-users order-get", names, " ")
    for (i = 1; i <= ns; i++) for (cl2 = 1; cl2 <= 1000; cl2++) {
        ck = names[i] SUBSEP cl2
        if (!(ck in ceil)) continue
        if (!header) {
            print ""
            print "| ceiling: the same SQL with pgbench (-M prepared, -j 2) | clients | transactions/s (one request'"'"'s statements each) |"
            print "| --- | ---: | ---: |"
            header = 1
        }
        printf "| %s | %s | %.0f |\n", names[i], cl2, median(ceil[ck])
    }
    print ""
    printf "req/s counts 2xx answers; latencies are of every answer. Medians of %d run(s) each; errors are summed over the runs (non-2xx responses and socket errors); peak RSS is the largest VmHWM of the runs.\n", runs[order[1]]
}' "$dir/results.tsv"
[ -f "$dir/oversell.txt" ] && { echo; echo "Oversell check: $(cat "$dir/oversell.txt")"; }
echo
echo "Machine: $(sed -n 's/^cpu: //p' "$dir/machine.txt"), $(sed -n 's/^nproc: //p' "$dir/machine.txt") CPUs; $(sed -n 's/^load_before: .*\(load average.*\)/\1/p' "$dir/machine.txt") before the run."
