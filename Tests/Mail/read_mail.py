#!/usr/bin/env python3
"""Parses each message file given with Python's email package under policy.strict (any
defect is an error) and prints one JSON object per file: the top header fields, the MIME
structure, the feedback report's fields (for ARF) and the text of the text/plain parts."""

import email
import email.policy
import json
import sys

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.strict)
    out = {"file": path, "headers": {k: str(v) for k, v in message.items()}, "content_type": message.get_content_type(), "parts": [], "report": {}, "text": []}
    if message.get_content_type() == "multipart/report":
        out["report_type"] = message.get_param("report-type")
    for part in message.walk():
        out["parts"].append(part.get_content_type())
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            fields = payload[0] if isinstance(payload, list) else email.message_from_string(payload, policy=email.policy.strict)
            out["report"] = {k: str(v) for k, v in fields.items()}
        elif part.get_content_type() == "text/plain" and part.get_filename() is None:
            out["text"].append(part.get_content())
    if message.defects:
        raise SystemExit("%s: defects %s" % (path, message.defects))
    print(json.dumps(out))
