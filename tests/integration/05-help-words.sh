#!/usr/bin/env bash
# --help speaks our language: value names, examples and exit codes, no
# CLI11 noise; a mistyped flag gets a suggestion in the one-line error form.
. "$(dirname "$0")/../lib.sh"

help_has_no_cli11_noise() {
    local tool out
    for tool in rbus-publish rbus-subscribe rbus-tail rbus-stats; do
        out=$($tool --help) || die "$tool --help"
        expect_no "$out" "INT:INT" "$tool: validator text"
        expect_no "$out" "Excludes:" "$tool: Excludes"
        expect_no "$out" "Needs:" "$tool: Needs"
        expect_no "$out" "TEXT" "$tool: TEXT"
        expect_no "$out" " VALUE" "$tool: a value named VALUE"
        expect_match "$out" "-q,--quiet  " "$tool: a flag without a value name"
        expect_match "$out" $'Examples:\n  '"$tool " "$tool: examples"
        expect_match "$out" "Exit status: 0 done; 1 runtime failure; 2 usage" "$tool: exit codes"
        expect_match "$out" "--connect-timeout DUR" "$tool: DUR"
        expect_match "$out" "-u,--url URL" "$tool: URL"
        expect_match "$out" "--channel NAME \.\.\." "$tool: --channel"
    done
    out=$(rbus-publish --help)
    expect_match "$out" $'\n  TYPE  ' "a positional named once"
    expect_match "$out" $'\n  PAYLOAD \\.\\.\\.  ' "a repeated positional"
    out=$(rbus-stats --help)
    expect_match "$out" "--pings N " "range shown as N"
    expect_match "$out" "--min-subscribers TYPE=N" "TYPE=N"
    expect_match "$out" "--max-pending N +--check: " "history thresholds need --check, value N"
    expect_match "$out" "--min-agents N +--check: " "--min-agents N"
    expect_match "$out" "--scan-limit N " "--scan-limit N"
}

mistyped_flag_gets_a_suggestion() {
    local rc=0 err
    err=$(rbus-publish --priorty high agent.x 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "unknown flag"
    expect_eq "$err" "rbus-publish: error: unknown option --priorty: did you mean --priority? (see --help)" "suggestion"
    rc=0
    err=$(rbus-subscribe --timout 1s x.y 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "unknown flag"
    expect_eq "$err" "rbus-subscribe: error: unknown option --timout: did you mean --timeout? (see --help)" "suggestion"
    rc=0
    err=$(rbus-stats --zzzzzz 2>&1 >/dev/null) || rc=$?
    expect_code "$rc" 2 "unknown flag"
    expect_eq "$err" "rbus-stats: error: unknown option --zzzzzz (see --help)" "no suggestion when nothing is close"
}

case_ "--help: our words, examples, exit codes" help_has_no_cli11_noise
case_ "a mistyped flag: did you mean" mistyped_flag_gets_a_suggestion
