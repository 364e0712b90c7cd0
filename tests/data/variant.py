#!/usr/bin/env python3
"""Builds a variant of the golden vector files, to check that the vector tests decide by rule.

    python3 tests/data/variant.py OUT_DIR [--seed N] [--subset FRACTION] [--synthetic]

For each tests/data/vectors/*.json it writes OUT_DIR/<same name>: the same top-level fields, and the
cases duplicated under new ids (`<id>~v<seed>`), shuffled with the seed. With --subset FRACTION, only
that random share of the original cases is kept (imitating a held-back part; no duplicates then).
With --synthetic, sign.json also gets one case built from a rule the vector README documents but the
visible cases do not exercise (certs holding the merchant serial: a factory error); it is marked as
synthetic in its note. Then run a vector test against it:

    WECHATPAY_VECTORS_DIR=OUT_DIR cargo test --test vectors_sign
"""

import argparse
import copy
import json
import pathlib
import random

HERE = pathlib.Path(__file__).resolve().parent


def synthetic_sign_cases():
    return [{
        "id": "synthetic-certs-merchant-serial",
        "kind": "error",
        "note": "synthetic (not a PHP capture): README, factory errors: `certs` containing the merchant serial",
        "input": {
            "chain": ["v3", "certificates"],
            "access": ["prop", "prop"],
            "php": "Builder::factory([... 'certs' => [merchant serial => merchant certificate]])",
            "method": "GET",
            "options": {},
            "config": {"certs": {
                "1946DD7BDF37823B2192F1DB21574B1D465D9A21": "<merchant certificate>",
                "PUB_KEY_ID_0112345678202411240000000000000000": "<wechatpay public key>",
            }},
        },
        "output": {"error": {"class": "WeChatPay\\Exception\\InvalidArgumentException", "message": "synthetic"}},
    }]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--subset", type=float)
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((HERE / "vectors").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        cases = doc["cases"]
        if args.subset is not None:
            cases = [c for c in cases if rng.random() < args.subset] or [rng.choice(cases)]
        else:
            duplicates = []
            for case in cases:
                twin = copy.deepcopy(case)
                twin["id"] = f"{case['id']}~v{args.seed}"
                duplicates.append(twin)
            cases = cases + duplicates
        if args.synthetic and path.name == "sign.json":
            cases = cases + synthetic_sign_cases()
        rng.shuffle(cases)
        doc["cases"] = cases
        doc["part"] = f"variant (seed {args.seed})"
        (out / path.name).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{path.name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
