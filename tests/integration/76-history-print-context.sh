#!/usr/bin/env bash
# --print-context shows the history settings each tool resolves (SPEC §8), and
# still never a secret.
. "$(dirname "$0")/../lib.sh"

history_settings_in_print_context() {
    local out
    out=$(RAPTORBUS_HISTORY=1 rbus-publish --print-context --history-key-prefix acme --max-len 500 x.y) || die "publish"
    expect_eq "$(jq -c '[.history_key_prefix, .history_key_prefix_source, .history.stream_key, .history.record, .history.record_source, .history.max_len]' <<< "$out")" \
        '["acme","--history-key-prefix","acme:history:{CHANNEL}",true,"RAPTORBUS_HISTORY",500]' "rbus-publish"
    out=$(rbus-subscribe --print-context -u 'redis://u:s3cretPW@127.0.0.1:1' 'job.*' --group billing --consumer w1 \
        --claim-idle 5s --max-deliveries 5 --since 1h) || die "subscribe"
    expect_eq "$(jq -c '.history | [.group, .consumer, .max_deliveries, .claim_idle, .since, .mirror, .dlq_key]' <<< "$out")" \
        '["billing","w1",5,"5s","1h",false,"rbus:dlq"]' "rbus-subscribe"
    expect_no "$out" "s3cretPW" "no password"
    out=$(rbus-tail --print-context --dlq --since 10m) || die "tail"
    expect_eq "$(jq -c '.history | [.dlq, .since, has("group")]' <<< "$out")" '[true,"10m",false]' "rbus-tail: what applies to it"
}

bad_history_flag_is_refused() {
    local err rc
    err=$(rbus-subscribe --print-context --group g --claim-idle soon 2>&1); rc=$?
    expect_code "$rc" 2 "a bad duration"
    expect_match "$err" "^rbus-subscribe: error: --claim-idle: " "names the flag"
}

case_ "--print-context shows each tool's history settings, no secret" history_settings_in_print_context
case_ "--print-context refuses a bad history flag as the run would" bad_history_flag_is_refused
