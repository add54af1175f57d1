"""Writes N messages of one shape the way RaptorFlow's Python services
serialise them, one per line in OUT.json and as prebuilt RESP PUBLISH
commands in OUT.resp (for redis-cli --pipe).
Shapes: canonical (rbus's own compact envelope), dumps (json.dumps defaults:
", " and ": " separators, \\u escapes, isoformat() +00:00 timestamps),
bus_event (pydantic BusEvent: compact, naive timestamp, version/retry_count/
max_retries/destination_guild), legacy (publish()'s dict: event_type,
correlation_id, no id; json.dumps defaults).
Usage: shapes.py SHAPE N CHANNEL OUT"""
import datetime
import json
import sys
import uuid

shape, n, channel, out = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
base = datetime.datetime(2026, 11, 26, 16, 10, 30, tzinfo=datetime.timezone.utc)
etype = channel.decode().split('raptorflow.events.', 1)[1]


def payload(i):
    return {"n": i, "agent_id": "RES-001", "status": "ok", "score": 0.5 + i % 7, "text": f"benchmark event número {i}",
            "tags": ["bench", "python"]}


def message(i):
    ts = base + datetime.timedelta(microseconds=i * 37)
    eid = str(uuid.UUID(int=(0x5A17 << 100) + i, version=4))
    if shape == 'canonical':
        return json.dumps({"id": eid, "type": etype, "payload": payload(i), "priority": "normal",
                           "request_id": f"corr-{i % 100}", "source_agent_id": None, "workspace_id": "ws-bench",
                           "timestamp": ts.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}, separators=(',', ':'),
                          ensure_ascii=False)
    if shape == 'dumps':
        return json.dumps({"id": eid, "type": etype, "payload": payload(i), "priority": "normal",
                           "request_id": f"corr-{i % 100}", "source_agent_id": None, "workspace_id": "ws-bench",
                           "timestamp": ts.isoformat()})
    if shape == 'bus_event':  # pydantic's model_dump_json: compact, UTF-8, naive datetime
        return json.dumps({"id": eid, "type": etype, "payload": payload(i), "priority": "normal",
                           "source_agent_id": "agent-7", "request_id": f"corr-{i % 100}",
                           "timestamp": ts.replace(tzinfo=None).isoformat(), "version": "1.0", "retry_count": 0,
                           "max_retries": 3, "destination_guild": None}, separators=(',', ':'), ensure_ascii=False)
    if shape == 'legacy':
        return json.dumps({"event_type": etype, "workspace_id": "ws-bench", "correlation_id": f"corr-{i % 100}",
                           "payload": payload(i), "timestamp": ts.isoformat()})
    sys.exit(f'unknown shape {shape}')


head = b'*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n' % (len(channel), channel)
with open(out + '.json', 'wb') as text, open(out + '.resp', 'wb') as resp:
    for i in range(1, n + 1):
        body = message(i).encode()
        text.write(body + b'\n')
        resp.write(head + b'$%d\r\n%s\r\n' % (len(body), body))
