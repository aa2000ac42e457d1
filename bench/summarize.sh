#!/usr/bin/env bash
# bench/summarize.sh RESULTS_DIR — prints the Markdown tables of one bench/run.sh run.
# For each scale (RESULTS_DIR/<scale>x/) it prints the scenario tables from its
# results.tsv and ceiling.tsv: medians of the runs for throughput (2xx answers per
# second) and latency (of every answer), errors summed over the runs, peak RSS the
# largest of the runs; the hot-product pairs; and the plan check's verdicts. Then the
# growth table: every serial request (growth.tsv) and the growth scenarios' req/s at
# each scale, with the ratio of the largest scale to the smallest. A results
# directory of the single-scale layout (results.tsv at its top) is read too.
set -euo pipefail
dir=${1:?usage: bench/summarize.sh bench/results/<timestamp>}

# Functions shared by the awk programs below.
AWK_LIB='
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
# served: 2xx answers per second of one BENCH line (a quick 503 is not a request served).
function served(r,    d) { d = field(r, "duration_s") + 0; return d > 0 ? (field(r, "requests") - field(r, "non2xx")) / d : 0 }
function errors(r) { return field(r, "non2xx") + field(r, "connect") + field(r, "read") + field(r, "write") + field(r, "timeout") }
'

# summarize_one DIR: the scenario tables of one scale.
summarize_one() {
local dir=$1 pool
pool=$(sed -nE 's/.*DB_MAX_CONNS=([0-9]+).*/\1/p' "$dir/machine.txt" 2>/dev/null | head -1)
awk -F'\t' -v pool="${pool:-20}" -v ceilfile="$dir/ceiling.tsv" "$AWK_LIB"'
# pair_ratios(a, b): the ratios a/b of the runs of the same number of keys a and b
# (run.sh runs each partner right after its scenario, so each pair met the same machine).
function pair_ratios(a, b,    run, out) {
    out = ""
    for (run = 1; run <= runs[b]; run++)
        if (((a, run) in runrps) && runrps[b, run] > 0) out = out " " runrps[a, run] / runrps[b, run]
    return out
}
function pair_list(ratios,    n, pr, j, pl) {
    n = split(ratios, pr, " ")
    pl = ""
    for (j = 1; j <= n; j++) pl = pl (pl ? ", " : "") sprintf("%.2f", pr[j])
    return pl
}
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
    add(rps, key, served(r)); add(p50, key, field(r, "p50_ms")); add(p99, key, field(r, "p99_ms")); add(p999, key, field(r, "p999_ms"))
    unans[key] += field(r, "unanswered"); answered[key] += field(r, "requests")
    errs[key] += errors(r)
    split(field(r, "statuses"), st, ",")
    for (i in st) if (st[i] !~ /^2/ && st[i] != "none") { split(st[i], kv, ":"); bad[key, kv[1]] += kv[2]; codes[key] = codes[key] (index(codes[key], kv[1]) ? "" : " " kv[1]) }
    runrps[key, $4] = served(r)
    if ($5 + 0 > rss[key] + 0) rss[key] = $5
    runs[key]++
}
END {
    header = 0
    for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        if (k[1] != "shopfloor") continue
        if (!header) {
            print "| scenario | connections | req/s | p50 | p99 | p99.9 | errors | peak RSS | of ceiling |"
            print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            header = 1
        }
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
        ratios = pair_ratios(sk, key)
        frac = ratios != "" ? sprintf("%.2f", median(ratios)) : ((sk in rps && median(rps[key]) > 0) ? sprintf("%.2f", median(rps[sk]) / median(rps[key])) : "—")
        if (split(ratios, pr, " ") > 1) frac = frac " (" pair_list(ratios) ")"
        printf "| bench/bare (net/http + pgx) | %s | %.0f | %s | %s | %s | %d | %.0f MiB | %s |\n", k[3], median(rps[key]),
            ms(median(p50[key])), ms(median(p99[key])), ms(median(p999[key])), errs[key], rss[key] / 1024, frac
    }
    header = 0
    for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        if (k[1] != "shopfloor" || k[2] != "order-create") continue
        hk = "shopfloor" SUBSEP "order-create-hot" SUBSEP k[3]
        if (!(hk in rps)) continue
        if (!header) {
            print ""
            print "| order creation | connections | spread: 500 products, req/s | hot: one product, req/s | hot / spread, median of pairs (each pair) | errors (spread, hot) |"
            print "| --- | ---: | ---: | ---: | ---: | ---: |"
            header = 1
        }
        ratios = pair_ratios(hk, order[i])
        frac = ratios != "" ? sprintf("**%.2f**", median(ratios)) : "—"
        if (split(ratios, pr, " ") > 1) frac = frac " (" pair_list(ratios) ")"
        printf "| hot vs spread | %s | %.0f | %.0f | %s | %d, %d |\n", k[3], median(rps[order[i]]), median(rps[hk]), frac, errs[order[i]], errs[hk]
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
    if (n == 0) exit
    print ""
    printf "req/s counts 2xx answers; latencies are of every answer. Medians of %d run(s) each; errors are summed over the runs (non-2xx responses and socket errors); peak RSS is the largest VmHWM of the runs.\n", runs[order[1]]
}' "$dir/results.tsv"
[ -f "$dir/oversell.txt" ] && { echo; echo "Oversell check: $(cat "$dir/oversell.txt")"; }
if [ -f "$dir/plans.tsv" ]; then
    echo
    echo "| plan check: request | verdict | plans | detail |"
    echo "| --- | --- | ---: | --- |"
    awk -F'\t' 'NR > 1 { printf "| `%s` | %s | %s | %s |\n", $1, ($2 == "FAIL" ? "**FAIL**" : $2), $3, $4 }' "$dir/plans.tsv"
fi
echo
echo "Machine: $(sed -n 's/^cpu: //p' "$dir/machine.txt"), $(sed -n 's/^nproc: //p' "$dir/machine.txt") CPUs; $(sed -n 's/^load_before: .*\(load average.*\)/\1/p' "$dir/machine.txt" | tail -1) before, $(sed -n 's/^load_after: .*\(load average.*\)/\1/p' "$dir/machine.txt" | tail -1) after."
}

# growth DIR…: the growth tables across the scales' directories, smallest scale first.
growth() {
    local files=() d
    for d in "$@"; do [ -f "$d/growth.tsv" ] && files+=("$d/growth.tsv"); done
    if [ "${#files[@]}" -gt 0 ]; then
        echo
        awk -F'\t' "$AWK_LIB"'
        FNR == 1 { s = FILENAME; sub(/\/growth\.tsv$/, "", s); sub(/.*\//, "", s); scale[++ns] = s; next }
        {
            if (!($1 in seen)) { seen[$1] = 1; row[++nr] = $1 }
            n[$1, ns] = $3; p50[$1, ns] = $4; p99[$1, ns] = $5; err[$1, ns] = $6; st[$1, ns] = $7; note[$1, ns] = $8
        }
        function cell(v) { return v == "" ? "—" : ms(v + 0) }
        END {
            h = "| request |"; a = "| --- |"
            for (i = 1; i <= ns; i++) { h = h " " scale[i] " p50 | " scale[i] " p99 |"; a = a " ---: | ---: |" }
            if (ns > 1) { h = h " " scale[ns] " / " scale[1] " (p50) |"; a = a " ---: |" }
            print h " errors | notes |"
            print a " --- | --- |"
            for (r = 1; r <= nr; r++) {
                k = row[r]; line = "| `" k "` |"; e = ""; notes = ""
                for (i = 1; i <= ns; i++) {
                    line = line " " cell(p50[k, i]) " | " cell(p99[k, i]) " |"
                    if (err[k, i] + 0 > 0) e = e (e ? "; " : "") scale[i] ": " err[k, i] " of " n[k, i] " (" st[k, i] ")"
                    if (note[k, i] != "") notes = notes (notes ? "; " : "") scale[i] ": " note[k, i]
                    same = (i == 1 || note[k, i] == note[k, 1]) && (i > 1 ? same : 1)
                }
                if (same && note[k, 1] != "") notes = note[k, 1] # the same at every scale: once
                ratio = (p50[k, 1] + 0 > 0 && p50[k, ns] != "") ? sprintf("%.1f ×", p50[k, ns] / p50[k, 1]) : "—"
                print line (ns > 1 ? " " ratio " |" : "") " " (e ? "**" e "**" : "0") " | " notes " |"
            }
            print ""
            print "Serial requests over one connection: p50 and p99 (nearest rank) of the timed requests after the warm-up; any answer that is not 2xx is an error."
        }' "${files[@]}"
    fi
    files=()
    for d in "$@"; do [ -f "$d/results.tsv" ] && grep -q '^growth' "$d/results.tsv" && files+=("$d/results.tsv"); done
    if [ "${#files[@]}" -gt 0 ]; then
        echo
        awk -F'\t' "$AWK_LIB"'
        FNR == 1 { s = FILENAME; sub(/\/results\.tsv$/, "", s); sub(/.*\//, "", s); scale[++ns] = s; next }
        $1 == "growth" {
            k = $2 SUBSEP $3
            if (!(k in seen)) { seen[k] = 1; row[++nr] = k }
            add(rps, k SUBSEP ns, served($6)); err[k, ns] += errors($6); runs[k, ns]++
        }
        END {
            h = "| scenario | connections |"; a = "| --- | ---: |"
            for (i = 1; i <= ns; i++) { h = h " " scale[i] " req/s |"; a = a " ---: |" }
            if (ns > 1) { h = h " " scale[ns] " / " scale[1] " |"; a = a " ---: |" }
            print h " errors |"
            print a " --- |"
            for (r = 1; r <= nr; r++) {
                split(row[r], sc, SUBSEP); line = "| " sc[1] " | " sc[2] " |"; e = ""
                for (i = 1; i <= ns; i++) {
                    v[i] = (row[r] SUBSEP i) in rps ? median(rps[row[r] SUBSEP i]) : -1
                    line = line " " (v[i] < 0 ? "—" : sprintf("%.0f", v[i])) " |"
                    if (err[row[r], i] > 0) e = e (e ? "; " : "") scale[i] ": " err[row[r], i]
                }
                if (ns > 1) line = line " " (v[1] > 0 && v[ns] >= 0 ? sprintf("%.2f", v[ns] / v[1]) : "—") " |"
                print line " " (e ? "**" e "**" : "0") " |"
            }
            print ""
            print "req/s (2xx answers) with wrk, medians of the runs; errors summed over the runs."
        }' "${files[@]}"
    fi
}

if [ -f "$dir/results.tsv" ]; then
    summarize_one "$dir" # a run of the single-scale layout
    exit 0
fi
scales=()
while read -r d; do scales+=("$dir/$d"); done < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -name '*x' -printf '%f\n' | sort -n)
[ "${#scales[@]}" -gt 0 ] || { echo "no results in $dir" >&2; exit 1; }
for d in "${scales[@]}"; do
    echo "## ${d##*/}"
    echo
    summarize_one "$d"
    echo
done
echo "## Growth"
growth "${scales[@]}"
if [ -f "$dir/phases.tsv" ]; then
    echo
    echo "| scale | phase | seconds |"
    echo "| --- | --- | ---: |"
    awk -F'\t' 'NR > 1 { printf "| %s | %s | %s |\n", $1, $2, $3 }' "$dir/phases.tsv"
fi
