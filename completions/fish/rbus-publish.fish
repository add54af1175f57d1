# fish completion for rbus-publish: publish an event on RaptorBus

complete -c rbus-publish -f

# Payload files: @FILE, key=@file, key:=@file.json.
function __rbus_publish_at_files
    set -l token (commandline -ct)
    test -n "$token"; or return
    set -l head (string match -r -- '^(?:@|[^=@]*=@)' $token)
    or return
    set -l path (string sub -s (math (string length -- $head) + 1) -- $token)
    for f in (__fish_complete_path $path)
        printf "%s%s\n" $head $f
    end
end
complete -c rbus-publish -a '(__rbus_publish_at_files)'

complete -c rbus-publish -s h -l help -d 'Print the options and exit'
complete -c rbus-publish -l version -d 'Print the version and exit'
complete -c rbus-publish -s u -l url -x -d 'Redis URL (default redis://127.0.0.1:6379)'
complete -c rbus-publish -l password-file -r -F -d 'Read the password from FILE'
complete -c rbus-publish -l sentinel-password-file -r -F -d 'Read the sentinels\' password from FILE (redis+sentinel://)'
complete -c rbus-publish -l tls -d 'Use TLS (on for rediss://)'
complete -c rbus-publish -l cacert -r -F -d 'CA certificate file for TLS'
complete -c rbus-publish -l cert -r -F -d 'Client certificate for TLS'
complete -c rbus-publish -l key -r -F -d 'Client private key for TLS'
complete -c rbus-publish -l insecure -d 'Do not verify the server certificate'
complete -c rbus-publish -l sni -x -d 'TLS server name to send and verify'
complete -c rbus-publish -l connect-timeout -x -d 'Connect timeout (default 5s)'
complete -c rbus-publish -l cluster-hosts -x -d 'Send credentials only to these hosts besides the URL (CIDR|HOST,...)'
complete -c rbus-publish -l no-auth-warning -d 'No warning about a password on argv or in a readable file'
complete -c rbus-publish -l sharded -d 'Sharded pub/sub: SPUBLISH to the channel\'s slot owner (Redis 7+)'
complete -c rbus-publish -l history-key-prefix -x -d 'Namespace of rbus history, group and DLQ keys (default rbus)'
complete -c rbus-publish -l prefix -x -d 'Channel prefix (default raptorflow.events)'
complete -c rbus-publish -l channel -x -d 'Publish on this full channel instead of {prefix}.{type}'
complete -c rbus-publish -s w -l workspace-id -x -d 'Workspace id'
complete -c rbus-publish -s c -l correlation-id -x -d 'Correlation id'
complete -c rbus-publish -l source-agent-id -x -d 'Source agent id'
complete -c rbus-publish -l color -x -a 'auto always never' -d 'When to use colour'
complete -c rbus-publish -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c rbus-publish -s q -l quiet -d 'Errors only'
complete -c rbus-publish -l log-format -x -a 'text json' -d 'Format of diagnostics'
complete -c rbus-publish -l fail-soft -d 'Bus unreachable: warn and exit 0'
complete -c rbus-publish -l config -r -F -d 'Read settings from a TOML file'
complete -c rbus-publish -l print-context -d 'Print the resolved settings as JSON and exit'
complete -c rbus-publish -l priority -x -a 'low normal high critical' -d 'Event priority (default normal)'
complete -c rbus-publish -l id -x -d 'Event id (default a new UUID v4)'
complete -c rbus-publish -l dry-run -d 'Validate and print the envelope; no connection'
complete -c rbus-publish -l record-metrics -d 'Also count the event in metrics:channel:*:published'
complete -c rbus-publish -l min-receivers -x -d 'Exit 4 when any event reached fewer subscribers'
complete -c rbus-publish -l max-bytes -x -d 'Largest envelope in bytes (default 1048576)'
complete -c rbus-publish -l count -x -d 'Publish N events ({{seq}} {{uuid}} {{now}} expanded)'
complete -c rbus-publish -l interval -x -d 'Wait between repeats (e.g. 1s)'
complete -c rbus-publish -l wait-for -x -d 'Then wait for a reply of TYPE[,TYPE...] with our request_id'
complete -c rbus-publish -l timeout -x -d 'How long --wait-for waits (default 30s)'
complete -c rbus-publish -l stdin -d 'Batch: one payload object per input line'
complete -c rbus-publish -l envelopes -r -F -d 'Batch: one envelope per line of FILE or stdin'
complete -c rbus-publish -l dead-letter -r -F -d 'Append what was not published to FILE'
complete -c rbus-publish -l retries -x -d 'Reconnect attempts when the connection is lost (default 3)'
complete -c rbus-publish -l history -d 'Also record in rbus:history:{CHANNEL} and msg:{channel}:{id}, atomically'
complete -c rbus-publish -l retain -x -d 'Trim history entries older than DUR'
complete -c rbus-publish -l max-len -x -d 'Keep about N history entries per channel'
complete -c rbus-publish -l redrive -d 'Return DLQ entries where they came from'
complete -c rbus-publish -l reason -x -a 'max_retries_exceeded schema_violation routing_error processing_timeout publish_error' -d 'With --redrive: only entries of this reason'
complete -c rbus-publish -l since -x -d 'With --redrive: entries that failed since DUR ago, a TIMESTAMP or ID'
complete -c rbus-publish -l until -x -d 'With --redrive: entries that failed until DUR ago, a TIMESTAMP or ID'
