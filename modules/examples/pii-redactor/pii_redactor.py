#!/usr/bin/env python3
"""An MCProxy module that redacts e-mail addresses and phone numbers in tool results.

Config (the module's "config" in MCProxy's configuration):
  "replacement": "[redacted]"       what a finding becomes (default "[redacted by pii-redactor]")
  "tools": ["echo", "read_*"]       fnmatch patterns of the tools whose results it redacts (default all)
"""

import fnmatch
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))

from mcproxy_module import Module, proceed, replace_result  # noqa: E402

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w.])\+\d{1,3}(?:[ .-]?\d{1,4}){2,5}(?![\w])")

module = Module("pii-redactor", "1.0.0", results=["tools/call"])


def scrub(text, replacement):
    text, emails = EMAIL.subn(replacement, text)
    text, phones = PHONE.subn(replacement, text)
    return text, emails + phones


@module.on_result
def redact(message):
    tools = module.config.get("tools")
    name = message["params"].get("name", "")
    if tools and not any(fnmatch.fnmatch(name, p) for p in tools):
        return proceed()
    replacement = module.config.get("replacement", "[redacted by pii-redactor]")
    result = message["result"]
    found = 0
    for item in result.get("content", []):
        if item.get("type") == "text" and isinstance(item.get("text"), str):
            item["text"], n = scrub(item["text"], replacement)
            found += n
    if not found:
        return proceed()
    print(f"pii-redactor: {found} finding(s) in {name} (session {message['context'].get('session')})", file=sys.stderr)
    return replace_result(result)


if __name__ == "__main__":
    module.run()
