#!/usr/bin/env python3
"""Drives a running wechatpay-chain sandbox with wechatpayv3 (PyPI), unchanged: its own request
signing, answer verification (including its Wechatpay-Signature-Type check), certificate download
and notification handling (`callback`). Configured only from the sandbox's --keys-dir output.

    python driver.py KEYS_DIR public-key|certificate|mixed

Exits 0 when every step passed; otherwise prints the step and the peer's message and exits 1.

wechatpayv3 has no setting for the API host: the driver sets the client's `_gate_way` to the
sandbox's base URI. In certificate mode the client would download certificates from the real host
while it is constructed, so it starts from a directory holding the sandbox's certificate (as a
deployed merchant does); the download itself is then run against the sandbox with the client's own
`_update_certificates` into an empty directory, and every later answer is verified with what it
downloaded.
"""

import json
import os
import pathlib
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wechatpayv3 import WeChatPay, WeChatPayType

APPID = "wxd678efh567hg6787"
MODES = ("public-key", "certificate", "mixed")


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def ok(code, message, what):
    """wechatpayv3 answers (status, body); 2xx answers were verified by it before returning."""
    check(200 <= code < 300, f"{what}: HTTP {code} {message!r}")
    return json.loads(message) if message else None


class Notifications:
    """A local notification endpoint that hands each POST to the client's `callback`."""

    def __init__(self, wxpay):
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1 << 20))
                try:
                    result = wxpay.callback(self.headers, body)
                    check(result is not None, "callback() returned None: the notification did not verify or decrypt")
                    outer.received.append(result)
                    self.send_response(204)
                    self.end_headers()
                except Exception as error:  # the peer's message, reported by the driver
                    outer.received.append(error)
                    payload = json.dumps({"code": "FAIL", "message": str(error)}).encode()
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/wechatpay/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def sandbox_pay(base, out_trade_no):
    """The sandbox's control plane (not WeChat Pay, no signature): pay and deliver the notification."""
    request = urllib.request.Request(f"{base}/_sandbox/pay/{out_trade_no}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def main(keys_dir, mode):
    keys_dir = pathlib.Path(keys_dir)
    keys = json.loads((keys_dir / "sandbox.json").read_text())

    def read(role):
        return (keys_dir / keys["files"][role]).read_text()

    base = keys["base_uri"].rstrip("/")
    run_id = f"{int(time.time() * 1000)}{os.getpid()}"[-12:]
    order = lambda name: f"py{run_id}{name}"  # noqa: E731
    work = pathlib.Path(tempfile.mkdtemp(prefix="wechatpayv3-"))
    step = "setup"
    try:
        common = dict(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=keys["mchid"],
            private_key=read("merchant_private_key"),
            cert_serial_no=keys["merchant_serial"],
            appid=APPID,
            apiv3_key=keys["apiv3_key"],
            timeout=(5, 15),
        )
        if mode == "certificate":
            deployed = work / "deployed"
            deployed.mkdir()
            shutil.copy(keys_dir / keys["files"]["platform_certificate"], deployed / f"{keys['platform_serial']}.pem")
            wxpay = WeChatPay(cert_dir=str(deployed), **common)
        else:
            # mixed: answers signed with a platform certificate make the client download them.
            wxpay = WeChatPay(
                public_key=read("wechatpay_public_key"),
                public_key_id=keys["public_key_id"],
                cert_dir=str(work / "downloaded"),
                **common,
            )
        wxpay._core._gate_way = base
        notifications = Notifications(wxpay)

        if mode == "certificate":
            step = "GET v3/certificates (certificate download)"
            downloaded = work / "downloaded"
            wxpay._core._cert_dir = f"{downloaded}/"
            wxpay._core._update_certificates()
            saved = downloaded / f"{keys['platform_serial']}.pem"
            check(saved.exists(), f"nothing saved in {downloaded}: {sorted(os.listdir(downloaded)) if downloaded.exists() else []}")
            check(saved.read_text().strip() == read("platform_certificate").strip(), "another certificate was downloaded")
            check(len(wxpay._core._certificates) >= 1, "no certificate loaded")
            print(f"ok   {step}")

        step = "GET v3/facemch/users/{face_sid}"
        user = ok(*wxpay._core.request(f"/v3/facemch/users/aabbccdd12345?info_type=ASK_UNIONID&appid={APPID}"), step)
        check(isinstance(user.get("openid"), str), f"unexpected answer {user}")
        print(f"ok   {step}")

        def native(out_trade_no):
            return ok(*wxpay.pay(description="interop (python)", out_trade_no=out_trade_no,
                                 amount={"total": 100, "currency": "CNY"}, notify_url=notifications.url), step)

        step = "POST v3/pay/transactions/native"
        prepay = native(order("A"))
        check(prepay["code_url"].startswith("weixin://"), f"no code_url in {prepay}")
        print(f"ok   {step}")

        step = "GET v3/pay/transactions/out-trade-no/{out_trade_no}"
        unpaid = ok(*wxpay.query(out_trade_no=order("A")), step)
        check(unpaid["trade_state"] == "NOTPAY", f"trade_state {unpaid['trade_state']}")
        print(f"ok   {step}")

        step = "POST v3/pay/transactions/out-trade-no/{out_trade_no}/close"
        native(order("B"))
        code, message = wxpay.close(out_trade_no=order("B"))
        check(code == 204, f"HTTP {code} {message!r}")
        print(f"ok   {step} (204)")

        step = "TRANSACTION.SUCCESS notification"
        paid = sandbox_pay(base, order("A"))
        check(notifications.received, f"nothing was delivered (control plane: {paid})")
        note = notifications.received.pop(0)
        if isinstance(note, Exception):
            raise note
        check(paid.get("notified") == 204, f"the endpoint answered {paid.get('notified')}")
        check(note["event_type"] == "TRANSACTION.SUCCESS", f"event {note['event_type']}")
        resource = note["resource"]
        check(resource["out_trade_no"] == order("A") and resource["trade_state"] == "SUCCESS", f"resource {resource}")
        check(resource["transaction_id"] == paid["transaction_id"], "another transaction id")
        print(f"ok   {step} (verified, decrypted)")

        step = "GET v3/pay/transactions/out-trade-no/{out_trade_no} (paid)"
        settled = ok(*wxpay.query(out_trade_no=order("A")), step)
        check(settled["trade_state"] == "SUCCESS", f"trade_state {settled['trade_state']}")
        print(f"ok   {step}")

        step = "POST v3/refund/domestic/refunds"
        refund = ok(*wxpay.refund(out_refund_no=order("R"), out_trade_no=order("A"), reason="interop",
                                  amount={"refund": 100, "total": 100, "currency": "CNY"}), step)
        check(refund["status"] in ("SUCCESS", "PROCESSING"), f"refund status {refund['status']}")
        print(f"ok   {step}")
        notifications.server.shutdown()
    except Exception as error:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        print(f"wechatpayv3 [{mode}] failed at {step}: {detail}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wechatpayv3 [{mode}]: all steps passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in MODES:
        print("usage: python driver.py KEYS_DIR public-key|certificate|mixed", file=sys.stderr)
        sys.exit(2)
    # Never hang: the whole run is bounded.
    threading.Timer(120, lambda: (print("wechatpayv3: the driver did not finish within 120 s", file=sys.stderr),
                                   os._exit(1))).start()
    code = main(sys.argv[1], sys.argv[2])
    os._exit(code)
