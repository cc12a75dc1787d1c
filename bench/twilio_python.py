"""twilio-python against the fake Twilio: the send benchmark's baseline (run by sends.sh).

    python bench/twilio_python.py batch N > batch.jsonl
        the benchmark's messages, one {"to", "body", "user"} JSON line each: the input of
        `host-harness send` and of the command below, so every client sends the same texts
    python bench/twilio_python.py send BASE_URL ACCOUNT_SID FROM < batch.jsonl
        sends them serially in this one process with twilio-python's Client (Auth Token from
        TWILIO_AUTH_TOKEN) and prints key=value lines: the version, the count, the seconds of the
        send loop (what the benchmark compares) and of importing twilio and making the Client.

The Client is pointed at the fake by setting the Api domain's base_url (every Messages request
is built from it), and given an HTTP client that refuses any URL outside BASE_URL, so nothing can
reach the real Twilio. The run checks that every send came back 201 with a distinct SID and that
the fake now lists that many more Messages.
"""

import json
import sys
import time

STARTED = time.perf_counter()


def batch(n):
    notices = [
        "Hi {name}, your {item} is ready for pickup. We're open until 6 pm.",
        "Your repair #{order} is done. Total due: ${amount}. Pay here: https://pay.example.com/l/{order}",
        "Reminder: your appointment is tomorrow at 10:30 am. Reply STOP to opt out.",
        "Good news {name}! Your custom order #{order} has arrived. Come by any time this week "
        "between 10 am and 6 pm, Monday to Saturday. Questions? Reply to this text or call us "
        "at (212) 555-0199. Thank you for shopping with us!",
    ]
    names = ["Maria", "James", "Priya", "Chen", "Olivia", "Noah", "Ana", "Liam"]
    items = ["engagement ring", "watch", "necklace", "bracelet", "wedding band"]
    for i in range(n):
        body = notices[i % len(notices)].format(
            name=names[i % len(names)],
            item=items[i % len(items)],
            order=10000 + i,
            amount=f"{20 + i % 480}.{i % 100:02d}",
        )
        # +1 212 555 0100 and on: real-looking New York numbers, none of Twilio's magic ones.
        print(json.dumps({"to": f"+1212555{100 + i:04d}", "body": body, "user": "bench"}))


def send(base_url, account_sid, from_):
    import os

    import twilio
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    base_url = base_url.rstrip("/")

    class FakeOnly(TwilioHttpClient):
        """The library's own HTTP client (one pooled requests Session), limited to the fake."""

        requests = 0

        def request(self, method, url, *args, **kwargs):
            if not (url == base_url or url.startswith(base_url + "/")):
                raise SystemExit(f"FAIL: twilio-python tried {method} {url}, outside the fake")
            FakeOnly.requests += 1
            return super().request(method, url, *args, **kwargs)

    token = os.environ["TWILIO_AUTH_TOKEN"]
    # environment={} so no TWILIO_REGION / TWILIO_EDGE of the caller's can rewrite the host.
    client = Client(account_sid, token, http_client=FakeOnly(), environment={})
    client.api.base_url = base_url
    startup = time.perf_counter() - STARTED

    def listed():
        return len(client.messages.list(page_size=1000))

    messages = [json.loads(line) for line in sys.stdin if line.strip()]
    before = listed()
    requests_before = FakeOnly.requests

    t0 = time.perf_counter()
    sids = []
    for m in messages:
        sent = client.messages.create(to=m["to"], from_=from_, body=m["body"])
        sids.append(sent.sid)
    loop = time.perf_counter() - t0
    sends = FakeOnly.requests - requests_before

    after = listed()
    problems = []
    if sends != len(messages):
        problems.append(f"{sends} requests for {len(messages)} messages")
    if len(set(sids)) != len(messages) or not all(s and s.startswith("SM") for s in sids):
        problems.append(f"{len(set(sids))} distinct SIDs for {len(messages)} messages")
    if after - before != len(messages):
        problems.append(f"the fake lists {after - before} new Messages, not {len(messages)}")
    if problems:
        raise SystemExit("FAIL: twilio-python: " + "; ".join(problems))
    print(f"version={twilio.__version__}")
    print(f"messages={len(messages)}")
    print(f"fake_listed={after - before}")
    print(f"loop_seconds={loop:.6f}")
    print(f"startup_seconds={startup:.6f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "batch":
        batch(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
